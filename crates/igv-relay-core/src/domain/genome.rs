//! Genomes: chromosome names, lengths and aliases, so a locus can be checked
//! before IGV sees it. IGV opens a blocking dialog for an unknown chromosome,
//! and silently shows garbage past a chromosome's end.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use super::locus::{ChromName, Locus, LocusError, Span};

/// A genome id as used in URLs and configuration: `hg38`, `mm10`, `b37`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GenomeId(String);

impl GenomeId {
    pub fn parse(id: &str) -> Result<Self, GenomeError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            && id.as_bytes()[0].is_ascii_alphanumeric();
        if ok {
            Ok(Self(id.to_owned()))
        } else {
            Err(GenomeError::BadId(id.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GenomeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug)]
pub struct Chromosome {
    pub name: ChromName,
    pub length: u64,
}

/// A genome whose chromosomes are known.
#[derive(Clone, Debug)]
pub struct Genome {
    id: GenomeId,
    /// What IGV's `genome=` parameter gets: an IGV genome id or a path IGV can open.
    igv_genome: String,
    chromosomes: Vec<Chromosome>,
    by_name: HashMap<String, usize>,
    /// Gene names → loci (`genomes.ID.genes`), with the flank added to them.
    genes: Option<(super::gene_index::SharedIndex, u64)>,
}

impl Genome {
    /// `aliases` maps extra names (e.g. `1`) to chromosome names (`chr1`).
    /// Common aliases (`1` ↔ `chr1`, `MT`/`M` ↔ `chrM`) are added automatically,
    /// mirroring what IGV itself resolves.
    pub fn new(
        id: GenomeId,
        igv_genome: String,
        chromosomes: Vec<Chromosome>,
        aliases: &BTreeMap<String, String>,
    ) -> Result<Self, GenomeError> {
        if chromosomes.is_empty() {
            return Err(GenomeError::NoChromosomes(id.to_string()));
        }
        let mut by_name = HashMap::new();
        for (i, chrom) in chromosomes.iter().enumerate() {
            by_name.insert(chrom.name.as_str().to_owned(), i);
        }
        for (i, chrom) in chromosomes.iter().enumerate() {
            for alias in automatic_aliases(chrom.name.as_str()) {
                by_name.entry(alias).or_insert(i);
            }
        }
        for (alias, target) in aliases {
            let Some(&i) = by_name.get(target) else {
                return Err(GenomeError::AliasTarget {
                    genome: id.to_string(),
                    alias: alias.clone(),
                    target: target.clone(),
                });
            };
            by_name.insert(alias.clone(), i);
        }
        Ok(Self {
            id,
            igv_genome,
            chromosomes,
            by_name,
            genes: None,
        })
    }

    /// The genome with a gene annotation to resolve names in, each gene
    /// widened by `flank` bases on both sides.
    pub fn with_genes(mut self, index: super::gene_index::SharedIndex, flank: u64) -> Self {
        self.genes = Some((index, flank));
        self
    }

    pub fn genes(&self) -> Option<&super::gene_index::GeneIndex> {
        self.genes.as_ref().map(|(index, _)| &**index)
    }

    /// Bases added on each side of a gene's locus.
    pub fn gene_flank(&self) -> u64 {
        self.genes.as_ref().map_or(0, |(_, flank)| *flank)
    }

    /// Parses a `.fai` or `chrom.sizes` text (name, length, anything else).
    pub fn parse_sizes(text: &str) -> Result<Vec<Chromosome>, GenomeError> {
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let (Some(name), Some(length)) = (fields.next(), fields.next()) else {
                return Err(GenomeError::SizesLine {
                    line: n + 1,
                    text: line.to_owned(),
                });
            };
            let name = ChromName::parse(name).map_err(|_| GenomeError::SizesLine {
                line: n + 1,
                text: line.to_owned(),
            })?;
            let length = length.parse::<u64>().map_err(|_| GenomeError::SizesLine {
                line: n + 1,
                text: line.to_owned(),
            })?;
            out.push(Chromosome { name, length });
        }
        Ok(out)
    }

    /// This genome plus sequences a file lists that it lacks (the GATK analysis
    /// set's decoys, a lab's spike-ins): the file's `##contig`/`@SQ` lines are
    /// the only published word on them. Names already known are left as they are.
    pub fn with_sequences(&self, extra: impl IntoIterator<Item = Chromosome>) -> Genome {
        let mut genome = self.clone();
        for chromosome in extra {
            if genome.by_name.contains_key(chromosome.name.as_str()) {
                continue;
            }
            genome.by_name.insert(
                chromosome.name.as_str().to_owned(),
                genome.chromosomes.len(),
            );
            genome.chromosomes.push(chromosome);
        }
        genome
    }

    pub fn id(&self) -> &GenomeId {
        &self.id
    }

    /// The same genome, sent to IGV as `igv_genome` (a lab's own copy of a
    /// built-in assembly: its id, a `.json` or a FASTA path).
    pub fn with_igv_genome(mut self, igv_genome: &str) -> Self {
        self.igv_genome = igv_genome.to_owned();
        self
    }

    pub fn igv_genome(&self) -> &str {
        &self.igv_genome
    }

    pub fn chromosomes(&self) -> &[Chromosome] {
        &self.chromosomes
    }

    pub fn chromosome(&self, name: &str) -> Option<&Chromosome> {
        self.by_name.get(name).map(|&i| &self.chromosomes[i])
    }

    /// Checks a locus against this genome and returns the one IGV should get:
    /// the chromosome renamed to the genome's own name, an end past the
    /// chromosome clamped to its length (IGV would show empty space), and an
    /// error when the locus starts beyond the chromosome.
    pub fn resolve(&self, locus: &Locus) -> Result<Locus, GenomeError> {
        let name = locus.chrom().as_str();
        let chrom = self
            .chromosome(name)
            .ok_or_else(|| GenomeError::UnknownChromosome {
                chrom: name.to_owned(),
                genome: self.id.to_string(),
                examples: self.example_names(),
            })?;
        let resolved = locus.with_chrom(chrom.name.clone());
        let past_end = |at: u64| GenomeError::PastEnd {
            chrom: chrom.name.to_string(),
            position: at,
            length: chrom.length,
            genome: self.id.to_string(),
        };
        match locus.span() {
            Span::Whole => Ok(resolved),
            Span::Position(p) if p > chrom.length => Err(past_end(p)),
            Span::Position(_) => Ok(resolved),
            Span::Range { start, .. } if start > chrom.length => Err(past_end(start)),
            Span::Range { start, end } => Ok(resolved.with_span(Span::Range {
                start,
                end: end.min(chrom.length),
            })),
        }
    }

    fn example_names(&self) -> String {
        let names: Vec<&str> = self
            .chromosomes
            .iter()
            .take(3)
            .map(|c| c.name.as_str())
            .collect();
        names.join(", ")
    }
}

/// `chr1` ↔ `1`, `chrM` ↔ `MT`/`M`: the aliases IGV resolves on its own.
fn automatic_aliases(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bare = name.strip_prefix("chr").unwrap_or(name);
    if bare != name {
        out.push(bare.to_owned());
    } else {
        out.push(format!("chr{name}"));
    }
    if matches!(bare, "M" | "MT") {
        out.extend(["M", "MT", "chrM", "chrMT"].map(String::from));
    }
    out.retain(|a| a != name);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenomeError {
    #[error(
        "{0:?} is not a valid genome id (letters, digits, '_', '.', '-'; at most 64 characters)"
    )]
    BadId(String),
    #[error("unknown genome {id:?}; known genomes: {known}")]
    Unknown { id: String, known: String },
    #[error("genome {0} has no chromosomes")]
    NoChromosomes(String),
    #[error(
        "genome {genome}: alias {alias:?} points to {target:?}, which is not one of its chromosomes"
    )]
    AliasTarget {
        genome: String,
        alias: String,
        target: String,
    },
    #[error("line {line} of the chromosome sizes is not `name<TAB>length`: {text:?}")]
    SizesLine { line: usize, text: String },
    #[error(
        "chromosome {chrom:?} is not in genome {genome} (its chromosomes are named like {examples}); IGV would block on a dialog"
    )]
    UnknownChromosome {
        chrom: String,
        genome: String,
        examples: String,
    },
    #[error(
        "position {position} is beyond the end of {chrom}, which is {length} bp long in {genome}"
    )]
    PastEnd {
        chrom: String,
        position: u64,
        length: u64,
        genome: String,
    },
    #[error(transparent)]
    Locus(#[from] LocusError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Genome {
        let sizes = Genome::parse_sizes("chr1\t50000\nchr2\t20000\nchrM\t16569\n").unwrap();
        Genome::new(
            GenomeId::parse("tiny").unwrap(),
            "tiny".into(),
            sizes,
            &BTreeMap::new(),
        )
        .unwrap()
    }

    #[test]
    fn ensembl_names_resolve_to_the_genome_names() {
        let g = tiny();
        assert_eq!(
            g.resolve(&Locus::parse("1:10-20").unwrap())
                .unwrap()
                .to_string(),
            "chr1:10-20"
        );
        assert_eq!(
            g.resolve(&Locus::parse("MT:5").unwrap())
                .unwrap()
                .to_string(),
            "chrM:5"
        );
    }

    #[test]
    fn end_past_the_chromosome_is_clamped_but_start_past_it_is_an_error() {
        let g = tiny();
        let l = g
            .resolve(&Locus::parse("chr2:19000-25000").unwrap())
            .unwrap();
        assert_eq!(l.to_string(), "chr2:19000-20000");
        assert!(matches!(
            g.resolve(&Locus::parse("chr2:20001-25000").unwrap()),
            Err(GenomeError::PastEnd { .. })
        ));
    }

    #[test]
    fn unknown_chromosome_is_refused() {
        assert!(matches!(
            tiny().resolve(&Locus::parse("chrZZ:1-100").unwrap()),
            Err(GenomeError::UnknownChromosome { .. })
        ));
    }
}
