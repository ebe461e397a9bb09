//! A record's intervals as loci IGV can show: checked against the genome
//! (or the file's own `##contig` lines when no genome is chosen), clamped to
//! the chromosome, widened by the flank; or the [`Refusal`] that says why not.

use std::cell::RefCell;
use std::collections::HashMap;

use super::refusal::Refusal;
use crate::domain::genes::{self, GeneProblem};
use crate::domain::genome::Genome;
use crate::domain::loci::{Loci, LociRules, LocusList};
use crate::domain::locus::{ChromName, Locus};
use crate::formats::{Interval, RecordStream};

/// Turns a record's intervals into loci IGV can show, or says why not.
pub struct LocusResolver<'a> {
    genome: Option<&'a Genome>,
    /// From the file's own header (VCF `##contig`) when no genome is given.
    contigs: Option<HashMap<String, Option<u64>>>,
    flank: u64,
    rules: LociRules,
    /// Records name genes instead of giving intervals (gene tables).
    names_genes: bool,
    /// The last chromosome seen: sorted files repeat it row after row, and
    /// parsing and looking it up again was a twentieth of an export's time.
    last: RefCell<Option<SeenChromosome>>,
}

/// A chromosome as written in the file, its parsed name, and its `##contig`
/// entry (`None`: not among them, or the file has none).
struct SeenChromosome {
    written: String,
    name: ChromName,
    contig: Option<Option<u64>>,
}

impl<'a> LocusResolver<'a> {
    pub fn new(
        genome: Option<&'a Genome>,
        stream: &dyn RecordStream,
        flank: u64,
        rules: LociRules,
    ) -> Self {
        let contigs = match genome {
            Some(_) => None,
            None => stream
                .contigs()
                .filter(|c| !c.is_empty())
                .map(|c| c.iter().cloned().collect()),
        };
        // Split-screen rows (BEDPE, breakends) need room for two loci.
        let rules = LociRules {
            max_loci: rules.max_loci.max(2),
            ..rules
        };
        Self {
            genome,
            contigs,
            flank,
            rules,
            names_genes: stream.names_genes(),
            last: RefCell::new(None),
        }
    }

    /// Whether records name genes ([`Self::resolve_gene`]) instead of
    /// giving intervals.
    pub fn names_genes(&self) -> bool {
        self.names_genes
    }

    /// A gene table's row: its gene's locus in the genome's gene annotation
    /// (with the annotation's gene flank and the view's flank), and the
    /// gene's interval for counts and the overview; or why it has none.
    pub fn resolve_gene(&self, name: &str) -> (Result<Loci, Refusal>, Option<Interval>) {
        let hit = match self.genome {
            Some(genome) => genes::find_for_row(genome, name),
            None => Err(GeneProblem::NoAnnotation {
                name: name.to_owned(),
                genome: None,
            }),
        };
        let hit = match hit {
            Ok(hit) => hit,
            Err(problem) => return (Err(Refusal::Gene(problem)), None),
        };
        let target = &hit.target;
        let interval = Interval::new(target.chrom.as_str(), target.start, target.end);
        let length = self
            .genome
            .and_then(|g| g.chromosome(hit.locus.chrom().as_str()))
            .map(|c| c.length);
        let locus = hit.locus.with_flank(self.flank, length);
        let loci = LocusList::from_iter([locus]);
        let loci = Loci::from_parsed(loci, self.rules, self.genome).map_err(Refusal::from);
        (loci, Some(interval))
    }

    /// Whether chromosome names (and lengths, where known) are checked at all:
    /// without a genome or `##contig` lines IGV is the first to see them.
    pub fn checks_chromosomes(&self) -> bool {
        self.genome.is_some() || self.contigs.is_some()
    }

    pub fn resolve(&self, intervals: &[Interval]) -> Result<Loci, Refusal> {
        let mut loci = LocusList::with_capacity(intervals.len());
        for interval in intervals {
            loci.push(self.resolve_one(interval)?);
        }
        // Not `Loci::parse` of the printed loci: the same checks, without printing
        // and re-reading every locus of every row (a fifth of an export's time).
        Ok(Loci::from_parsed(loci, self.rules, self.genome)?)
    }

    /// The chromosome `written` parsed, and its `##contig` entry (`None`: not
    /// among them; only looked up when the file has `##contig` lines).
    fn chromosome(&self, written: &str) -> Result<(ChromName, Option<Option<u64>>), Refusal> {
        let mut last = self.last.borrow_mut();
        if let Some(seen) = last.as_ref()
            && seen.written == written
        {
            return Ok((seen.name.clone(), seen.contig));
        }
        let name = ChromName::parse(written)?;
        let contig = self
            .contigs
            .as_ref()
            .and_then(|contigs| contigs.get(written).copied());
        *last = Some(SeenChromosome {
            written: written.to_owned(),
            name: name.clone(),
            contig,
        });
        Ok((name, contig))
    }

    fn resolve_one(&self, interval: &Interval) -> Result<Locus, Refusal> {
        let (chrom, contig) = self.chromosome(&interval.chrom)?;
        if interval.start > interval.end {
            return Err(Refusal::StartAfterEnd {
                start: interval.start,
                end: interval.end,
            });
        }
        let (start, end) = (interval.start.max(1), interval.end.max(1));
        let locus = Locus::from_interval(chrom, start, end)?;
        let length = match (self.genome, &self.contigs) {
            (Some(genome), _) => {
                let resolved = genome.resolve(&locus)?;
                genome
                    .chromosome(resolved.chrom().as_str())
                    .map(|c| c.length)
            }
            (None, Some(_)) => match contig {
                None => {
                    return Err(Refusal::NotAmongContigs {
                        chrom: interval.chrom.clone(),
                    });
                }
                Some(Some(length)) if interval.start > length => {
                    return Err(Refusal::BeyondContig {
                        chrom: interval.chrom.clone(),
                        position: interval.start,
                        length,
                    });
                }
                Some(length) => length,
            },
            (None, None) => None,
        };
        let locus = match length {
            Some(len) if locus.bounds().is_some_and(|(_, end)| end > len) => {
                let (start, _) = locus.bounds().unwrap_or((1, len));
                Locus::from_interval(locus.chrom().clone(), start, len)?
            }
            _ => locus,
        };
        Ok(locus.with_flank(self.flank, length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{self, FormatKind, FormatOptions};

    /// The resolver remembers the last chromosome; switching back and forth,
    /// to unknown and invalid names, must give what a fresh resolver gives.
    #[test]
    fn resolving_is_the_same_with_or_without_the_remembered_chromosome() {
        let text = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n\
                    ##contig=<ID=chr2,length=500>\n\
                    #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
        let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(text));
        let stream = formats::open(FormatKind::Vcf, input, &FormatOptions::default()).unwrap();
        let rules = LociRules::default();
        let remembering = LocusResolver::new(None, stream.as_ref(), 0, rules);
        let intervals = [
            Interval::new("chr1", 10, 20),
            Interval::new("chr1", 990, 1200),
            Interval::new("chr9", 1, 2),
            Interval::new("chr1", 2000, 2001),
            Interval::new("bad name", 1, 2),
            Interval::new("chr2", 400, 600),
            Interval::new("chr2", 5, 5),
            Interval::new("chr1", 7, 7),
        ];
        for interval in &intervals {
            let fresh = LocusResolver::new(None, stream.as_ref(), 0, rules);
            let one = std::slice::from_ref(interval);
            assert_eq!(remembering.resolve(one), fresh.resolve(one), "{interval:?}");
        }
        assert_eq!(
            remembering
                .resolve(&intervals[1..2])
                .map(|l| l.to_string())
                .ok(),
            Some("chr1:990-1000".to_owned())
        );
        assert!(remembering.resolve(&intervals[2..3]).is_err());
    }
}
