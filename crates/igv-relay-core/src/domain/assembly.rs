//! Which genome a file belongs to: what its header says ([`GenomeEvidence`]) matched
//! against the known genomes, and the rules that decide between the evidence, the
//! genome a user asked for and a data root's default ([`choose`]).
//!
//! The rules, in order (README, "Genome rules"):
//! 1. An explicit `?genome=` always wins. When the file disagrees, a notice says so.
//! 2. Sequence lengths decide: the known genome whose sequences have every length the
//!    file gives, with most of the file's sequences, named most exactly as the file
//!    names them (`1` is b37, `chr1` hg19: both are 249,250,621 bp long).
//! 3. Then what the header declares (`##reference`, `##contig=<assembly=…>`,
//!    `#!genome-build`, `track db=`, `@SQ AS:`), when the lengths do not contradict it.
//! 4. Then the names alone: the one genome family that knows every sequence name the
//!    file uses (`2L`, `3R` are a fly's, never a human's).
//! 5. Then the default (a data root's genome, a Galaxy dbkey), unless the file clearly
//!    disagrees (a length that differs, a name the default does not have).
//! 6. When no known genome fits, the file's own sequences (`##contig`, `@SQ`) are its
//!    genome: names and lengths checked, IGV's genome left to the user.
//!
//! Pure functions over the header's facts and the genome tables: no I/O.

use std::collections::HashSet;
use std::fmt;

use super::genome::{Chromosome, Genome};
use super::locus::ChromName;

/// What a file's header says about its genome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenomeEvidence {
    /// Sequences the header lists: VCF `##contig`, SAM/BAM/CRAM `@SQ`, GFF
    /// `##sequence-region`, in file order.
    pub sequences: Vec<SequenceFact>,
    /// Assembly names the header declares, with where (`##reference`, ...).
    pub declared: Vec<Declared>,
    /// Which header lines the sequences came from, for the page: `##contig`, `@SQ`,
    /// `##sequence-region`.
    pub sequences_from: Option<&'static str>,
    /// When the header lists no sequences: the largest position the first
    /// records reach on each sequence they name (issue 24: a 1000 Genomes
    /// chr22 VCF reaches 50,999,964, past hg38's chr22 end at 50,818,468).
    /// Only rules genomes out of a choice by the names.
    pub record_ends: Vec<(String, u64)>,
}

impl GenomeEvidence {
    /// Whether the sequences are only what the first records name (or there
    /// are none): an index next to the file then knows more.
    pub fn from_records_only(&self) -> bool {
        self.sequences.is_empty() || self.sequences_from == Some("record")
    }

    /// Takes the sequences a tabix or CSI index lists (all the file's, where
    /// the first records name only the first few), each with a lower bound of
    /// how far its records reach, in place of the first records' names; a
    /// sequence's end is the larger of the records' and the index's.
    pub fn add_indexed(&mut self, indexed: impl IntoIterator<Item = (String, Option<u64>)>) {
        let indexed: Vec<(String, Option<u64>)> = indexed.into_iter().collect();
        if indexed.is_empty() {
            return;
        }
        let declared = std::mem::take(&mut self.declared);
        let mut ends = std::mem::take(&mut self.record_ends);
        *self = evidence_from_names(indexed.iter().map(|(name, _)| name.as_str()));
        self.declared = declared;
        self.sequences_from = Some("index");
        for (name, reaches) in indexed {
            if let Some(reaches) = reaches {
                raise_end(&mut ends, &name, reaches);
            }
        }
        self.record_ends = ends;
    }
}

/// Notes that records reach `end` on `name` in [`GenomeEvidence::record_ends`]
/// form: the largest end seen per sequence.
pub(crate) fn raise_end(ends: &mut Vec<(String, u64)>, name: &str, end: u64) {
    match ends.iter_mut().find(|(n, _)| n == name) {
        Some((_, max)) => *max = (*max).max(end),
        None => ends.push((name.to_owned(), end)),
    }
}

/// One sequence a header lists.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceFact {
    pub name: String,
    pub length: Option<u64>,
    /// `false` for GFF `##sequence-region` ends, which may stop short of the
    /// sequence's end: such a length only rules out genomes where it is longer.
    pub exact: bool,
}

/// An assembly name the header declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// As written: `file:///ref/human_g1k_v37.fasta`, `b37`, `GRCh38.p13`.
    pub text: String,
    /// Where: `##reference`, `##contig assembly`, `#!genome-build`, `track db`, `@SQ AS`.
    pub source: &'static str,
}

impl GenomeEvidence {
    pub fn is_empty(&self) -> bool {
        self.sequences.is_empty() && self.declared.is_empty()
    }

    fn has_lengths(&self) -> bool {
        self.sequences.iter().any(|s| s.length.is_some())
    }
}

/// How well one genome fits a file's sequences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fit {
    /// Sequences found whose length is the genome's (a `##sequence-region` end
    /// counts when it is the whole sequence, as Ensembl and NCBI write them).
    pub lengths_agree: usize,
    /// Sequences found whose length contradicts the genome.
    pub lengths_differ: usize,
    /// Sequences found (with or without a length), and those named exactly as the
    /// genome names them (not through an alias).
    pub found: usize,
    pub found_exactly: usize,
    /// Sequences the genome does not have.
    pub missing: usize,
}

/// `genome` against the file's sequences.
pub fn fit(genome: &Genome, evidence: &GenomeEvidence) -> Fit {
    let mut fit = Fit::default();
    for sequence in &evidence.sequences {
        let Some(chromosome) = genome.chromosome(&sequence.name) else {
            fit.missing += 1;
            continue;
        };
        fit.found += 1;
        if chromosome.name.as_str() == sequence.name {
            fit.found_exactly += 1;
        }
        match sequence.length {
            None => {}
            Some(length) if length == chromosome.length => fit.lengths_agree += 1,
            // A region that ends inside the sequence says nothing for the genome
            // (a fly's X fits inside a human X), only against a shorter one.
            Some(length) if !sequence.exact && length < chromosome.length => {}
            Some(_) => fit.lengths_differ += 1,
        }
    }
    fit
}

/// The first sequence on which a record of the file ends past the end of
/// `genome`'s sequence of the same name, as (name, where the records reach,
/// the genome's length): then the names cannot pick `genome`. (A default or a
/// requested genome still stands: its rows past the end are refused, and the
/// page offers the genome that fits, as before.)
fn record_past_end<'e>(
    genome: &Genome,
    evidence: &'e GenomeEvidence,
) -> Option<(&'e str, u64, u64)> {
    evidence.record_ends.iter().find_map(|(name, end)| {
        let length = genome.chromosome(name)?.length;
        (*end > length).then_some((name.as_str(), *end, length))
    })
}

/// Where the genome a page uses came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenomeSource {
    /// `?genome=` (or its Galaxy dbkey).
    Requested,
    /// The sequence lengths in the header (`##contig` lengths, `@SQ LN`).
    SequenceLengths(&'static str),
    /// An assembly the header declares.
    Declared(Declared),
    /// The names the file's sequences have.
    SequenceNames(&'static str),
    /// A default: a data root's genome or a Galaxy dbkey.
    Default(DefaultKind),
    /// No known genome fits: the file's own sequences are its genome.
    FileSequences(&'static str),
    /// Several known genomes fit the names (a lone `22` is GRCh37's and T2T's):
    /// the file's own sequences stand until the user picks one.
    SeveralFit(&'static str),
    /// Nothing to go on: sequence names are not checked.
    Unknown,
}

/// What kind of default a page had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultKind {
    /// The genome configured for the data root.
    Root,
    /// The dataset's database/build in Galaxy.
    GalaxyDbkey,
}

impl fmt::Display for GenomeSource {
    /// The "why" a page and an export print after the genome: "b37, from the
    /// ##contig lengths".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenomeSource::Requested => f.write_str("as requested"),
            GenomeSource::SequenceLengths(from) => write!(f, "from the {from} lengths"),
            // A MAF declares its build in a column of every record, not in a header.
            GenomeSource::Declared(declared) if declared.source == "NCBI_Build" => {
                write!(f, "from the MAF's NCBI_Build column {:?}", declared.text)
            }
            GenomeSource::Declared(declared) => {
                write!(
                    f,
                    "from the header's {} {:?}",
                    declared.source, declared.text
                )
            }
            GenomeSource::SequenceNames("record") => {
                f.write_str("from the sequence names of its records")
            }
            GenomeSource::SequenceNames("index") => {
                f.write_str("from the sequences and positions its index lists")
            }
            GenomeSource::SequenceNames(from) => write!(f, "from the {from} names"),
            GenomeSource::Default(DefaultKind::Root) => {
                f.write_str("the data root's default genome")
            }
            GenomeSource::Default(DefaultKind::GalaxyDbkey) => {
                f.write_str("from the dataset's Galaxy database/build")
            }
            GenomeSource::FileSequences("index") => {
                f.write_str("the sequences its index lists; no known genome fits")
            }
            GenomeSource::FileSequences(from) => {
                write!(f, "the file's own {from} lines; no known genome fits")
            }
            GenomeSource::SeveralFit("record") => {
                f.write_str("the sequence names of its records fit several genomes")
            }
            GenomeSource::SeveralFit("index") => {
                f.write_str("the sequences its index lists fit several genomes")
            }
            GenomeSource::SeveralFit(from) => {
                write!(f, "the file's {from} names fit several genomes")
            }
            GenomeSource::Unknown => f.write_str("no genome known: sequence names are not checked"),
        }
    }
}

impl GenomeSource {
    /// A short machine-readable name for exports (`genome_source` in JSON).
    pub fn code(&self) -> &'static str {
        match self {
            GenomeSource::Requested => "requested",
            GenomeSource::SequenceLengths(_) => "sequence_lengths",
            GenomeSource::Declared(_) => "declared",
            GenomeSource::SequenceNames(_) => "sequence_names",
            GenomeSource::Default(DefaultKind::Root) => "root_default",
            GenomeSource::Default(DefaultKind::GalaxyDbkey) => "galaxy_dbkey",
            GenomeSource::FileSequences(_) => "file_sequences",
            GenomeSource::SeveralFit(_) => "several_fit",
            GenomeSource::Unknown => "unknown",
        }
    }
}

/// The genome a page uses, why, and what the page should say about it.
#[derive(Clone, Debug)]
pub struct GenomeChoice<'g> {
    /// `None` for [`GenomeSource::FileSequences`] and [`GenomeSource::Unknown`].
    pub genome: Option<&'g Genome>,
    pub source: GenomeSource,
    /// The known genome the file's sequences fit best, when it is not the one used
    /// (an explicit `?genome=` that disagrees): the page's one-click fix.
    pub file_fits: Option<&'g Genome>,
    /// Sentences for the page: a default overruled, a header that contradicts the
    /// lengths, a requested genome the file disagrees with.
    pub notices: Vec<String>,
    /// Sequences the file lists with a length that `genome` lacks (decoys, HLA,
    /// spike-ins: no package lists them), to be checked as the file says
    /// ([`Genome::with_sequences`]); only when no length of the file differs.
    pub extra: Vec<Chromosome>,
}

impl GenomeChoice<'_> {
    /// Adds the file's sequences `genome` lacks to [`Self::extra`], with a notice.
    fn with_extra(mut self, evidence: &GenomeEvidence) -> Self {
        let Some(genome) = self.genome else {
            return self;
        };
        if fit(genome, evidence).lengths_differ > 0 {
            return self;
        }
        self.extra = evidence
            .sequences
            .iter()
            .filter(|s| s.exact && genome.chromosome(&s.name).is_none())
            .filter_map(|s| {
                Some(Chromosome {
                    name: ChromName::parse(&s.name).ok()?,
                    length: s.length.filter(|l| *l > 0)?,
                })
            })
            .collect();
        if !self.extra.is_empty() {
            let from = evidence.sequences_from.unwrap_or("header");
            self.notices.push(match self.extra.len() {
                1 => format!(
                    "1 {from} sequence that {} does not list ({}) is checked against the \
                     file's own length",
                    genome.id(),
                    self.extra[0].name
                ),
                n => format!(
                    "{n} {from} sequences that {} does not list (such as {}) are checked \
                     against the file's own lengths",
                    genome.id(),
                    self.extra[0].name
                ),
            });
        }
        self
    }
}

/// What a page was asked for, besides the file.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenomeRequest<'g> {
    /// `?genome=`: always wins.
    pub explicit: Option<&'g Genome>,
    /// A data root's genome or a Galaxy dbkey: a default the file may overrule.
    pub default: Option<(&'g Genome, DefaultKind)>,
}

/// Decides the genome for a file (the rules in the module comment), with the
/// file's own sequences that genome lacks.
pub fn choose<'g>(
    request: GenomeRequest<'g>,
    evidence: &GenomeEvidence,
    known: &[&'g Genome],
) -> GenomeChoice<'g> {
    choose_genome(request, evidence, known).with_extra(evidence)
}

fn choose_genome<'g>(
    request: GenomeRequest<'g>,
    evidence: &GenomeEvidence,
    known: &[&'g Genome],
) -> GenomeChoice<'g> {
    let from = evidence.sequences_from.unwrap_or("header");
    let by_lengths = best_by_lengths(evidence, known);
    let declared = declared_genome(evidence, known);
    let declared_none = declared.is_none();

    if let Some(genome) = request.explicit {
        let mut choice = GenomeChoice {
            genome: Some(genome),
            source: GenomeSource::Requested,
            file_fits: None,
            notices: Vec::new(),
            extra: Vec::new(),
        };
        let own = fit(genome, evidence);
        if let Some(other) = by_lengths
            && other.id() != genome.id()
            && own.lengths_differ > 0
        {
            choice.notices.push(format!(
                "{} of the file's {from} lengths differ from {}; they match {}",
                own.lengths_differ,
                genome.id(),
                other.id()
            ));
            choice.file_fits = Some(other);
        }
        return choice;
    }

    let mut notices = Vec::new();
    if let Some(genome) = by_lengths {
        if let Some((declared, genome_declared)) = &declared
            && genome_declared.id() != genome.id()
            && !same_assembly(genome_declared, genome)
        {
            notices.push(format!(
                "the header's {} says {:?}, but the {from} lengths match {}, which is used",
                declared.source,
                declared.text,
                genome.id()
            ));
        }
        if let Some((default, kind)) = request.default
            && default.id() != genome.id()
        {
            notices.push(overruled(
                default,
                kind,
                genome,
                &format!("the {from} lengths"),
            ));
        }
        return GenomeChoice {
            genome: Some(genome),
            source: GenomeSource::SequenceLengths(from),
            file_fits: None,
            notices,
            extra: Vec::new(),
        };
    }

    if let Some((declared, genome)) = declared
        && fit(genome, evidence).lengths_differ == 0
        && fit(genome, evidence).missing < evidence.sequences.len().max(1)
    {
        if let Some((default, kind)) = request.default
            && default.id() != genome.id()
        {
            notices.push(overruled(
                default,
                kind,
                genome,
                &format!("the header's {}", declared.source),
            ));
        }
        return GenomeChoice {
            genome: Some(genome),
            source: GenomeSource::Declared(declared),
            file_fits: None,
            notices,
            extra: Vec::new(),
        };
    }

    // A declared assembly that names no built-in genome is said, not ignored.
    if declared_none && let Some(unknown) = evidence.declared.first() {
        notices.push(format!(
            "the header's {} says {:?}, which is none of the built-in genomes",
            unknown.source, unknown.text
        ));
    }

    let by_names = families_by_names(evidence, known);
    if let [genome] = by_names[..] {
        if let Some((default, kind)) = request.default
            && default.id() != genome.id()
            && !by_names.iter().any(|g| g.id() == default.id())
        {
            notices.push(overruled(default, kind, genome, "the sequence names"));
        }
        return GenomeChoice {
            genome: Some(genome),
            source: GenomeSource::SequenceNames(from),
            file_fits: None,
            notices,
            extra: Vec::new(),
        };
    }

    if let Some((default, kind)) = request.default {
        let own = fit(default, evidence);
        // The whole set decides: a fly's `4` and `X` are names hg38 knows, but its
        // `2L`, `3R`, `2RHet` ... are not; most names unknown is a disagreement.
        let disagrees = own.lengths_differ > 0 || own.missing > own.found;
        if !disagrees {
            return GenomeChoice {
                genome: Some(default),
                source: GenomeSource::Default(kind),
                file_fits: None,
                notices,
                extra: Vec::new(),
            };
        }
        notices.push(format!(
            "{} does not fit this file ({}), so the file's own {from} lines are used",
            describe_default(default, kind),
            if own.lengths_differ > 0 {
                format!("{} of its {from} lengths differ", own.lengths_differ)
            } else {
                format!(
                    "none of its {} sequences is in {}",
                    own.missing,
                    default.id()
                )
            }
        ));
    }

    notices.extend(past_their_ends(evidence, known));
    if by_names.len() > 1 {
        let ids: Vec<&str> = by_names.iter().map(|g| g.id().as_str()).collect();
        notices.push(format!(
            "its sequence names fit {}: choose the genome under \u{201c}More\u{201d}",
            crate::words::and_list(&ids)
        ));
        return GenomeChoice {
            genome: None,
            source: GenomeSource::SeveralFit(from),
            file_fits: None,
            notices,
            extra: Vec::new(),
        };
    }
    if !evidence.sequences.is_empty() {
        return GenomeChoice {
            genome: None,
            source: GenomeSource::FileSequences(from),
            file_fits: None,
            notices,
            extra: Vec::new(),
        };
    }
    GenomeChoice {
        genome: None,
        source: GenomeSource::Unknown,
        file_fits: None,
        notices,
        extra: Vec::new(),
    }
}

fn describe_default(genome: &Genome, kind: DefaultKind) -> String {
    match kind {
        DefaultKind::Root => format!("the data root's genome {}", genome.id()),
        DefaultKind::GalaxyDbkey => format!("the Galaxy database/build {}", genome.id()),
    }
}

fn overruled(default: &Genome, kind: DefaultKind, used: &Genome, by: &str) -> String {
    format!(
        "{} does not fit this file: {by} say {}, which is used",
        describe_default(default, kind),
        used.id()
    )
}

/// hg19 and b37 are one assembly (GRCh37) with two naming conventions: a header
/// that says GRCh37 is not contradicted by either.
fn same_assembly(a: &Genome, b: &Genome) -> bool {
    let grch37 = ["hg19", "b37"];
    grch37.contains(&a.id().as_str()) && grch37.contains(&b.id().as_str())
}

/// The known genome the file's sequence lengths fit: no length differs, and of those
/// the most lengths agree, then the most names are the genome's own, then the fewest
/// sequences are missing. `None` without lengths, or when two genomes tie (the file
/// cannot tell them apart).
pub fn best_by_lengths<'g>(evidence: &GenomeEvidence, known: &[&'g Genome]) -> Option<&'g Genome> {
    if !evidence.has_lengths() {
        return None;
    }
    let mut fits: Vec<(&'g Genome, Fit)> = known
        .iter()
        .map(|g| (*g, fit(g, evidence)))
        .filter(|(_, f)| f.lengths_differ == 0 && f.lengths_agree > 0)
        .collect();
    let rank = |f: &Fit| (f.lengths_agree, f.found_exactly, usize::MAX - f.missing);
    fits.sort_by_key(|(_, f)| std::cmp::Reverse(rank(f)));
    match &fits[..] {
        [] => None,
        [(genome, _)] => Some(*genome),
        [(first, a), (_, b), ..] if rank(a) > rank(b) => Some(*first),
        _ => None,
    }
}

/// Assembly names as headers write them (in `##reference` paths, `assembly=`,
/// `#!genome-build`, `track db=`, `@SQ AS:`), lower case, to the genome id. Longer
/// tokens are tried first, so `hg19` inside `ucsc.hg19.fasta` is found and
/// `grch37` does not hide `human_g1k_v37`.
const ASSEMBLY_TOKENS: &[(&str, &str)] = &[
    ("human_g1k_v37", "b37"),
    ("hs37d5", "b37"),
    ("1kg_v37", "b37"),
    ("b37", "b37"),
    ("grch37", "grch37"),
    ("build37", "grch37"),
    ("hg19", "hg19"),
    ("homo_sapiens_assembly38", "hg38"),
    ("grch38", "hg38"),
    ("hg38", "hg38"),
    ("chm13", "hs1"),
    ("t2t", "hs1"),
    ("hs1", "hs1"),
    ("grcm38", "mm10"),
    ("mm10", "mm10"),
    ("grcm39", "mm39"),
    ("mm39", "mm39"),
    ("bdgp6", "dm6"),
    ("dm6", "dm6"),
    ("wbcel235", "ce11"),
    ("ce11", "ce11"),
    ("r64", "sacCer3"),
    ("saccer3", "sacCer3"),
    ("grcz11", "danRer11"),
    ("danrer11", "danRer11"),
];

/// The genome id an assembly name stands for, if it names one: `"grch37"` stands
/// for hg19 or b37, which only the sequence names tell apart.
pub fn assembly_id(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    ASSEMBLY_TOKENS
        .iter()
        .find(|(token, _)| contains_token(&lower, token))
        .map(|(_, id)| *id)
}

/// `token` in `text` not glued to other letters or digits on either side (`hg19`
/// in `ucsc.hg19.fasta`, not `b37` in `ab37x`); `human_g1k_v37` may be followed
/// by `_decoy`.
fn contains_token(text: &str, token: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(token).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + token.len()).copied();
        let boundary = |b: Option<u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
        // A version or patch suffix (`GRCh38.p13`, `r64-1-1`) is still the assembly.
        boundary(before) && (boundary(after) || after == Some(b'.'))
    })
}

/// The first declared assembly that names a known genome (GRCh37 resolved by how
/// the file names its sequences).
fn declared_genome<'g>(
    evidence: &GenomeEvidence,
    known: &[&'g Genome],
) -> Option<(Declared, &'g Genome)> {
    let find = |id: &str| known.iter().copied().find(|g| g.id().as_str() == id);
    evidence.declared.iter().find_map(|declared| {
        let id = match assembly_id(&declared.text)? {
            "grch37" => {
                let chr_named = evidence
                    .sequences
                    .iter()
                    .filter(|s| s.name.starts_with("chr"))
                    .count();
                if chr_named * 2 > evidence.sequences.len() {
                    "hg19"
                } else {
                    "b37"
                }
            }
            id => id,
        };
        find(id).map(|g| (declared.clone(), g))
    })
}

/// Genomes that know every sequence name the file uses (hg19 and b37 know each
/// other's names through aliases: of those two only the one whose own names the
/// file uses is kept). Empty without names.
pub fn families_by_names<'g>(evidence: &GenomeEvidence, known: &[&'g Genome]) -> Vec<&'g Genome> {
    if evidence.sequences.is_empty() {
        return Vec::new();
    }
    let all: Vec<(&'g Genome, Fit)> = known
        .iter()
        .filter(|g| record_past_end(g, evidence).is_none())
        .map(|g| (*g, fit(g, evidence)))
        .filter(|(_, f)| f.missing == 0 && f.lengths_differ == 0)
        .collect();
    // hg19 and b37 are one assembly: of the two, the one whose own names the
    // file uses (`1` is b37, `chr1` hg19). Different assemblies stay ambiguous:
    // a lone `3` is in every vertebrate genome, exactly named or through an alias.
    let outnamed = |(genome, fit): &(&Genome, Fit)| {
        all.iter().any(|(other, other_fit)| {
            same_assembly(genome, other) && other_fit.found_exactly > fit.found_exactly
        })
    };
    let kept: Vec<bool> = all.iter().map(|g| !outnamed(g)).collect();
    all.into_iter()
        .zip(kept)
        .filter(|(_, keep)| *keep)
        .map(|((g, _), _)| g)
        .collect()
}

/// Why genomes whose names fit were ruled out: some record lies past the end
/// of their sequence of that name ("hg38's 22 ends at 50,818,468, and the
/// records reach 50,987,009").
fn past_their_ends(evidence: &GenomeEvidence, known: &[&Genome]) -> Vec<String> {
    known
        .iter()
        .filter(|g| {
            let f = fit(g, evidence);
            f.missing == 0 && f.lengths_differ == 0
        })
        .filter_map(|g| {
            let (name, end, length) = record_past_end(g, evidence)?;
            Some(format!(
                "not {}: its {name} ends at {}, and the records reach {}",
                g.id(),
                crate::words::group(length),
                crate::words::group(end)
            ))
        })
        .collect()
}

/// The sequences a file names in its records, when the header lists none (BED,
/// headerless GFF): enough to tell a fly from a human, as [`GenomeEvidence`].
pub fn evidence_from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> GenomeEvidence {
    let mut seen = HashSet::new();
    let sequences = names
        .into_iter()
        .filter(|n| seen.insert(n.to_string()))
        .map(|name| SequenceFact {
            name: name.to_owned(),
            length: None,
            exact: false,
        })
        .collect();
    GenomeEvidence {
        sequences,
        declared: Vec::new(),
        sequences_from: Some("record"),
        record_ends: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genomes::GenomeRegistry;

    fn registry() -> GenomeRegistry {
        GenomeRegistry::builtin().expect("built-in genomes")
    }

    /// A header listing `genome`'s sequences as a file written against it would:
    /// under `rename` (b37's `1` → `chr1` ...), the first `take` of them.
    fn listing(genome: &Genome, take: usize, rename: impl Fn(&str) -> String) -> GenomeEvidence {
        GenomeEvidence {
            sequences: genome
                .chromosomes()
                .iter()
                .take(take)
                .map(|c| SequenceFact {
                    name: rename(c.name.as_str()),
                    length: Some(c.length),
                    exact: true,
                })
                .collect(),
            declared: Vec::new(),
            sequences_from: Some("##contig"),
            record_ends: Vec::new(),
        }
    }

    fn chosen(registry: &GenomeRegistry, request: GenomeRequest<'_>, e: &GenomeEvidence) -> String {
        let known: Vec<&Genome> = registry.all().collect();
        let choice = choose(request, e, &known);
        match choice.genome {
            Some(g) => format!("{} {}", g.id(), choice.source.code()),
            None => choice.source.code().to_owned(),
        }
    }

    #[test]
    fn contig_lengths_tell_b37_hg19_hg38_hs1_mm10_and_mm39_apart() {
        let r = registry();
        let none = GenomeRequest::default();
        for id in [
            "b37", "hg19", "hg38", "hs1", "mm10", "mm39", "dm6", "ce11", "sacCer3",
        ] {
            let genome = r.get(id).expect(id);
            let e = listing(genome, 25, str::to_owned);
            assert_eq!(
                chosen(&r, none, &e),
                format!("{id} sequence_lengths"),
                "{id}"
            );
        }
    }

    #[test]
    fn hg19_and_b37_share_lengths_and_the_names_decide() {
        let r = registry();
        let b37 = r.get("b37").expect("b37");
        // b37's chromosomes 1..22, X, Y under UCSC names: that is hg19.
        let ucsc = listing(b37, 24, |n| format!("chr{n}"));
        assert_eq!(
            chosen(&r, GenomeRequest::default(), &ucsc),
            "hg19 sequence_lengths"
        );
        let grc = listing(b37, 24, str::to_owned);
        assert_eq!(
            chosen(&r, GenomeRequest::default(), &grc),
            "b37 sequence_lengths"
        );
    }

    #[test]
    fn a_fly_is_never_human_even_where_names_collide() {
        let r = registry();
        let dm6 = r.get("dm6").expect("dm6");
        // chr2L, chr4, chrX ... with the fly's lengths: dm6, whatever the root says.
        let fly = listing(dm6, 7, str::to_owned);
        let hg19 = r.get("hg19").expect("hg19");
        let request = GenomeRequest {
            explicit: None,
            default: Some((hg19, DefaultKind::Root)),
        };
        assert_eq!(chosen(&r, request, &fly), "dm6 sequence_lengths");
        // Names only (a BED's records): 2L, 3R, 4, X are a fly's.
        let names = evidence_from_names(["2L", "3R", "4", "X"]);
        assert_eq!(chosen(&r, request, &names), "dm6 sequence_names");
        // A fly assembly no table has (dm3's lengths): its own contigs, not hg19.
        let mut dm3 = fly.clone();
        for s in &mut dm3.sequences {
            s.length = s.length.map(|l| l + 1000);
        }
        let known: Vec<&Genome> = r.all().collect();
        let choice = choose(request, &dm3, &known);
        assert_eq!(choice.source.code(), "file_sequences");
        assert!(choice.notices[0].contains("hg19"), "{:?}", choice.notices);
    }

    #[test]
    fn an_explicit_genome_wins_and_the_page_learns_what_fits() {
        let r = registry();
        let hg38 = r.get("hg38").expect("hg38");
        let b37 = r.get("b37").expect("b37");
        let e = listing(b37, 25, str::to_owned);
        let known: Vec<&Genome> = r.all().collect();
        let request = GenomeRequest {
            explicit: Some(hg38),
            default: None,
        };
        let choice = choose(request, &e, &known);
        assert_eq!(choice.genome.map(|g| g.id().as_str()), Some("hg38"));
        assert_eq!(choice.source, GenomeSource::Requested);
        assert_eq!(choice.file_fits.map(|g| g.id().as_str()), Some("b37"));
        assert!(
            choice.notices[0].contains("match b37"),
            "{:?}",
            choice.notices
        );
    }

    #[test]
    fn a_root_default_stands_when_the_file_says_nothing_or_agrees() {
        let r = registry();
        let hg38 = r.get("hg38").expect("hg38");
        let request = GenomeRequest {
            explicit: None,
            default: Some((hg38, DefaultKind::Root)),
        };
        assert_eq!(
            chosen(&r, request, &GenomeEvidence::default()),
            "hg38 root_default"
        );
        // chr1 and chr2 without lengths: every human and mouse genome knows them.
        let names = evidence_from_names(["chr1", "chr2"]);
        assert_eq!(chosen(&r, request, &names), "hg38 root_default");
    }

    #[test]
    fn the_header_declares_what_lengths_do_not_say() {
        let r = registry();
        let declared = |text: &str, names: &[&str]| GenomeEvidence {
            sequences: evidence_from_names(names.iter().copied()).sequences,
            declared: vec![Declared {
                text: text.to_owned(),
                source: "##reference",
            }],
            sequences_from: Some("##contig"),
            record_ends: Vec::new(),
        };
        let none = GenomeRequest::default();
        assert_eq!(
            chosen(
                &r,
                none,
                &declared("file:///ref/human_g1k_v37.fasta", &["1"])
            ),
            "b37 declared"
        );
        assert_eq!(
            chosen(&r, none, &declared("GRCh37", &["chr1"])),
            "hg19 declared"
        );
        assert_eq!(
            chosen(&r, none, &declared("GRCh37", &["1"])),
            "b37 declared"
        );
        assert_eq!(
            chosen(
                &r,
                none,
                &declared("/data/Homo_sapiens_assembly38.fasta", &["chr1"])
            ),
            "hg38 declared"
        );
        // A declared genome the names contradict is not used.
        assert_eq!(
            chosen(&r, none, &declared("hg38", &["2L", "3R"])),
            "dm6 sequence_names"
        );
    }

    #[test]
    fn an_unknown_declared_assembly_is_said() {
        let r = registry();
        let e = GenomeEvidence {
            declared: vec![Declared {
                text: "1000GenomesPilot-NCBI36".into(),
                source: "##reference",
            }],
            ..GenomeEvidence::default()
        };
        let known: Vec<&Genome> = r.all().collect();
        let choice = choose(GenomeRequest::default(), &e, &known);
        assert_eq!(choice.source, GenomeSource::Unknown);
        assert_eq!(
            choice.notices,
            [
                "the header's ##reference says \"1000GenomesPilot-NCBI36\", which is none of \
              the built-in genomes"
            ]
        );
    }

    #[test]
    fn assembly_names_are_found_as_tokens() {
        assert_eq!(assembly_id("ucsc.hg19.fasta"), Some("hg19"));
        assert_eq!(assembly_id("human_g1k_v37_decoy.fasta"), Some("b37"));
        assert_eq!(
            assembly_id("/genomes/hg19/gatk/human_g1k_v37.fasta"),
            Some("b37")
        );
        assert_eq!(assembly_id("GRCh38.p13"), Some("hg38"));
        assert_eq!(assembly_id("FlyBase r5.49"), None);
        assert_eq!(assembly_id("1000GenomesPilot-NCBI36"), None);
        assert_eq!(assembly_id("ab37x"), None);
    }

    #[test]
    fn sequence_region_ends_count_when_whole_and_only_rule_out_when_shorter() {
        let r = registry();
        let dm6 = r.get("dm6").expect("dm6");
        let mut e = listing(dm6, 7, |n| n.trim_start_matches("chr").to_owned());
        for s in &mut e.sequences {
            s.exact = false;
        }
        e.sequences_from = Some("##sequence-region");
        // Whole sequences (Ensembl writes `##sequence-region 2L 1 23513712`).
        assert_eq!(chosen_without_request(&r, &e), "dm6 sequence_lengths");
        // Regions inside the sequences are no evidence for a genome: not for dm6,
        // and not for a human genome whose X and 4 are longer than the fly's.
        for s in &mut e.sequences {
            s.length = s.length.map(|l| l - 5);
        }
        assert_eq!(chosen_without_request(&r, &e), "dm6 sequence_names");
    }

    fn chosen_without_request(r: &GenomeRegistry, e: &GenomeEvidence) -> String {
        chosen(r, GenomeRequest::default(), e)
    }
}
