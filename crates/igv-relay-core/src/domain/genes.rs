//! Gene names resolved on the server, so IGV only ever receives loci.
//!
//! Why: IGV resolves a word it does not know as a feature name, and when it
//! cannot find one it opens a modal dialog that blocks its port for every
//! client (shared/reference/igv-port.md §3). So the relay never forwards a
//! name: a genome may name a gene annotation ([`super::gene_index`]), whose
//! names are looked up here against the genome; a name that is unknown or
//! names several genes is refused with the closest matches.

use std::fmt;

use super::gene_index::{GeneTarget, MAX_NAME_LEN};
use super::genome::{Genome, GenomeError};
use super::locus::Locus;

/// Genes listed for an ambiguous name.
const MAX_CHOICES: usize = 20;

/// A name as a request may give it: characters found in gene, transcript and
/// variant names across GENCODE, Ensembl, RefSeq, FlyBase and WormBase
/// (`KRAS`, `ENSG00000133703.14`, `l(2)gl`, `Su(var)3-9`, `tRNA:Ser`, `rs113488022`),
/// and nothing else: never `%`, quotes, `<`, whitespace or control characters.
pub fn check_name(name: &str) -> Result<&str, GeneProblem> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(GeneProblem::NotAName {
            name: name.chars().take(MAX_NAME_LEN).collect(),
            why: format!("a name has 1 to {MAX_NAME_LEN} characters"),
        });
    }
    if let Some(bad) = name.chars().find(|c| {
        !(c.is_ascii_alphanumeric()
            || matches!(
                c,
                '_' | '.' | '-' | '(' | ')' | '[' | ']' | ':' | '+' | '*' | '/' | '|' | '\'' | '@'
            ))
    }) {
        return Err(GeneProblem::NotAName {
            name: name.to_owned(),
            why: format!("no gene name has the character {bad:?}"),
        });
    }
    Ok(name)
}

/// A name resolved to one locus of `genome`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneHit {
    pub target: GeneTarget,
    /// The feature's locus with the genome's gene flank, checked against the
    /// genome (renamed, clamped).
    pub locus: Locus,
}

/// A choice offered for an unknown or ambiguous name: a checked locus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneChoice {
    pub label: String,
    pub locus: Locus,
}

impl fmt::Display for GeneChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.label, self.locus.to_display_string())
    }
}

/// Resolves `name` in `genome`'s gene annotation: the one locus it names,
/// with the genome's gene flank, checked against the genome.
pub fn find(genome: &Genome, name: &str) -> Result<GeneHit, GeneProblem> {
    find_with(genome, name, true)
}

/// [`find`] for one row of a gene table: an unknown name is refused
/// without the closest names, which a scan of the whole annotation finds
/// (too slow for every unknown row of a 60,000-gene table).
pub fn find_for_row(genome: &Genome, name: &str) -> Result<GeneHit, GeneProblem> {
    find_with(genome, name, false)
}

fn find_with(genome: &Genome, name: &str, suggest: bool) -> Result<GeneHit, GeneProblem> {
    let name = check_name(name)?;
    let Some(index) = genome.genes() else {
        return Err(GeneProblem::NoAnnotation {
            name: name.to_owned(),
            genome: Some(genome.id().to_string()),
        });
    };
    let targets = index.get(name);
    // A gene and its transcripts may share a name (NCBI writes `gene=KRAS` on
    // each mRNA): one feature that contains all the others is that gene.
    let containing = targets.iter().find(|outer| {
        targets
            .iter()
            .all(|t| t.chrom == outer.chrom && outer.start <= t.start && t.end <= outer.end)
    });
    let targets = match containing {
        Some(gene) => std::slice::from_ref(gene),
        None => targets,
    };
    let choices = || -> Vec<GeneChoice> {
        targets
            .iter()
            .take(MAX_CHOICES)
            .filter_map(|t| choice(genome, t))
            .collect()
    };
    match targets {
        [] => Err(GeneProblem::Unknown {
            name: name.to_owned(),
            genome: genome.id().to_string(),
            closest: if suggest {
                index
                    .closest(name)
                    .into_iter()
                    .filter_map(|t| choice(genome, t))
                    .collect()
            } else {
                Vec::new()
            },
        }),
        [target] => {
            let locus = locus_of(genome, target).map_err(|e| GeneProblem::OffGenome {
                name: name.to_owned(),
                problem: e.to_string(),
            })?;
            Ok(GeneHit {
                target: target.clone(),
                locus,
            })
        }
        many => Err(GeneProblem::Ambiguous {
            name: name.to_owned(),
            genome: genome.id().to_string(),
            count: many.len(),
            choices: choices(),
        }),
    }
}

fn choice(genome: &Genome, target: &GeneTarget) -> Option<GeneChoice> {
    Some(GeneChoice {
        label: target.label(),
        locus: locus_of(genome, target).ok()?,
    })
}

fn locus_of(genome: &Genome, target: &GeneTarget) -> Result<Locus, GenomeError> {
    let locus = Locus::from_interval(target.chrom.clone(), target.start, target.end)?;
    let length = genome.chromosome(target.chrom.as_str()).map(|c| c.length);
    genome.resolve(&locus.with_flank(genome.gene_flank(), length))
}

/// Whether a word is written like a dbSNP id (`rs113488022`).
fn is_rsid(name: &str) -> bool {
    // Bytes, not `str` slices: the name may be anything a paste holds.
    let b = name.as_bytes();
    b.len() > 2 && b[..2].eq_ignore_ascii_case(b"rs") && b[2..].iter().all(u8::is_ascii_digit)
}

/// Why a name gave no locus, with what to do instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeneProblem {
    #[error("{name:?} is not a gene name: {why}")]
    NotAName { name: String, why: String },
    #[error("{}", no_annotation(name, genome.as_deref()))]
    NoAnnotation {
        name: String,
        genome: Option<String>,
    },
    #[error(
        "no gene, transcript or id {name:?} in the gene annotation of {genome}{}{}",
        list(" (closest: ", closest, ")"),
        rsid_hint(name, genome)
    )]
    Unknown {
        name: String,
        genome: String,
        closest: Vec<GeneChoice>,
    },
    #[error(
        "{name:?} names {count} features in the gene annotation of {genome}; pick one{}",
        list(": ", choices, "")
    )]
    Ambiguous {
        name: String,
        genome: String,
        count: usize,
        choices: Vec<GeneChoice>,
    },
    #[error("{name:?}: {problem}")]
    OffGenome { name: String, problem: String },
}

impl GeneProblem {
    /// The loci offered instead (closest names, or the genes of an ambiguous name).
    pub fn choices(&self) -> &[GeneChoice] {
        match self {
            Self::Unknown { closest, .. } => closest,
            Self::Ambiguous { choices, .. } => choices,
            _ => &[],
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::NotAName { name, .. }
            | Self::NoAnnotation { name, .. }
            | Self::Unknown { name, .. }
            | Self::Ambiguous { name, .. }
            | Self::OffGenome { name, .. } => name,
        }
    }
}

fn list(before: &str, items: &[GeneChoice], after: &str) -> String {
    if items.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = items.iter().map(ToString::to_string).collect();
    format!("{before}{}{after}", shown.join("; "))
}

fn rsid_hint(name: &str, genome: &str) -> String {
    if is_rsid(name) {
        format!(
            "; {name} looks like a dbSNP variant id: to look such ids up, an administrator can name a GFF3 whose features carry them (ID=rs…) in genomes.{genome}.genes; or write the variant's position as chr:pos"
        )
    } else {
        String::new()
    }
}

fn no_annotation(name: &str, genome: Option<&str>) -> String {
    let what = if is_rsid(name) {
        "a dbSNP variant id"
    } else {
        "a gene or feature name"
    };
    let fix = match genome {
        Some(g) => format!(
            "genome {g} has no gene annotation to look it up in (an administrator can name a GTF/GFF3 whose features carry such names in genomes.{g}.genes)"
        ),
        // Which genomes have an annotation is the service's to say (the
        // start page names them); a genome must be chosen first.
        None => "no genome was chosen, so there is no gene annotation to look it up in (choose a genome with a gene annotation, if the service has one)".to_owned(),
    };
    format!(
        "{name:?} looks like {what}; IGV freezes on names it cannot find, so the relay never forwards one, and {fix}; or write the locus as chr:start-end"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_markup_or_percent_are_refused() {
        for bad in ["<script>", "KRAS%0A", "a b", "\"x\""] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in [
            "KRAS",
            "l(2)gl",
            "tRNA:Ser",
            "ENSG00000133703.14",
            "Su(var)3-9",
        ] {
            assert!(check_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn rsids_are_recognised_and_other_text_never_panics() {
        assert!(is_rsid("rs113488022"));
        assert!(is_rsid("RS1"));
        assert!(!is_rsid("rsX"));
        assert!(!is_rsid("€€€"));
        assert!(no_annotation("€uro", None).contains("gene or feature name"));
    }
}
