//! Structural variants as a reviewer names them: the event's type (DEL, DUP,
//! INV, INS, CNV, BND, or a BEDPE pair) and its size, from what the record
//! itself says. VCF: `SVTYPE`, else the symbolic allele (`<DEL:ME:ALU>` is a
//! DEL), else a breakend ALT (`N[chr2:3000[`) is a BND; the size from `SVLEN`,
//! else `END − POS`, else, for a breakend on the same chromosome, the distance
//! to its mate; a mate on another chromosome (a breakend ALT, or `CHR2`) is
//! inter-chromosomal. BEDPE: the type from svtools' `TYPE` column (the 11th)
//! when it names one, else "pair"; the size is the distance between the two
//! ends' starts.

use serde::Serialize;

use super::Interval;

/// Longest SVTYPE kept as written (a type is a short word; a longer value is
/// cut, so a page never shows a paragraph as a badge).
const MAX_TYPE_CHARS: usize = 12;

/// How big an event is, or that its ends lie on two chromosomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SvSize {
    Bases(u64),
    InterChromosomal,
}

/// Where the size came from, for the badge's hover text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeSource {
    Svlen,
    End,
    Mate,
}

/// One structural variant's type and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SvEvent {
    /// `DEL`, `BND`, `pair`, ... as the record names it.
    pub kind: String,
    /// `None` when the record says nothing of its size (an `INS` without SVLEN).
    pub size: Option<SvSize>,
    pub size_source: Option<SizeSource>,
}

/// What of a VCF record an SV is read from.
pub struct VcfSvFields<'a> {
    pub chrom: &'a str,
    pub pos: u64,
    pub alt: &'a str,
    pub svtype: Option<&'a str>,
    pub svlen: Option<&'a str>,
    pub end: Option<u64>,
    /// The mate: a breakend ALT's, or `CHR2`:`END` on another chromosome.
    pub mate: Option<&'a Interval>,
}

impl SvEvent {
    /// The VCF record's event, or `None` when it is no structural variant
    /// (no SVTYPE, no symbolic allele, no breakend).
    pub fn of_vcf(fields: &VcfSvFields<'_>) -> Option<Self> {
        // The first symbolic allele that names an SV type (`<*>` and
        // `<NON_REF>` of a gVCF do not).
        let symbolic = fields
            .alt
            .split(',')
            .filter_map(|a| a.strip_prefix('<')?.strip_suffix('>'))
            .map(|a| a.split(':').next().unwrap_or(""))
            .find(|t| is_sv_type(t));
        let kind: String = match fields
            .svtype
            .map(str::trim)
            .filter(|t| !t.is_empty() && *t != ".")
        {
            Some(t) => t.chars().take(MAX_TYPE_CHARS).collect(),
            None => match symbolic {
                Some(t) => t.to_ascii_uppercase(),
                None if fields.mate.is_some() || fields.alt.contains(['[', ']']) => {
                    "BND".to_owned()
                }
                None => return None,
            },
        };
        if kind.is_empty() {
            return None;
        }
        let svlen = fields
            .svlen
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(i64::unsigned_abs)
            .filter(|n| *n > 0);
        let mate = fields.mate;
        let (size, size_source) = if let Some(n) = svlen {
            (Some(SvSize::Bases(n)), Some(SizeSource::Svlen))
        } else if mate.is_some_and(|m| m.chrom != fields.chrom) {
            (Some(SvSize::InterChromosomal), Some(SizeSource::Mate))
        } else if let Some(end) = fields.end.filter(|e| *e > fields.pos) {
            (Some(SvSize::Bases(end - fields.pos)), Some(SizeSource::End))
        } else if let Some(mate) = mate {
            (
                Some(SvSize::Bases(mate.start.abs_diff(fields.pos))),
                Some(SizeSource::Mate),
            )
        } else {
            (None, None)
        };
        Some(Self {
            kind,
            size,
            size_source,
        })
    }

    /// A BEDPE pair's event: `fields` are the line's columns, `ends` its two
    /// ends (1-based).
    pub fn of_bedpe(fields: &[&str], ends: &[Interval]) -> Option<Self> {
        let [a, b] = ends else {
            return None;
        };
        let kind = fields
            .get(10)
            .map(|t| t.trim())
            .filter(|t| is_sv_type(t))
            .map_or_else(|| "pair".to_owned(), |t| t.to_ascii_uppercase());
        let size = if a.chrom == b.chrom {
            SvSize::Bases(a.start.abs_diff(b.start))
        } else {
            SvSize::InterChromosomal
        };
        Some(Self {
            kind,
            size: Some(size),
            size_source: Some(SizeSource::Mate),
        })
    }

    /// `DEL 12.3 kb`, `BND inter-chromosomal`, `INS`.
    pub fn badge(&self) -> String {
        match self.size {
            Some(size) => format!("{} {}", self.kind, size_text(size)),
            None => self.kind.clone(),
        }
    }

    /// The size alone (`12.3 kb`), empty when unknown.
    pub fn size_text(&self) -> String {
        self.size.map(size_text).unwrap_or_default()
    }

    /// Hover text: the exact size and where it came from.
    pub fn title(&self) -> String {
        let what = match self.kind.as_str() {
            "pair" => "a pair of loci".to_owned(),
            kind => format!("structural variant {kind}"),
        };
        match (self.size, self.size_source) {
            (Some(SvSize::Bases(n)), Some(source)) => format!(
                "{what}, {} bp ({})",
                crate::words::group(n),
                match source {
                    SizeSource::Svlen => "from SVLEN",
                    SizeSource::End => "from END − POS",
                    SizeSource::Mate => "the distance between the two ends",
                }
            ),
            (Some(SvSize::InterChromosomal), _) => {
                format!("{what}, its two ends on different chromosomes")
            }
            _ => format!("{what}, of a size the record does not give"),
        }
    }

    /// The size in bases (`None` for an inter-chromosomal or unsized event).
    pub fn bases(&self) -> Option<u64> {
        match self.size {
            Some(SvSize::Bases(n)) => Some(n),
            _ => None,
        }
    }
}

fn is_sv_type(text: &str) -> bool {
    ["DEL", "DUP", "INV", "INS", "CNV", "BND", "TRA"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(text))
}

/// `850 bp`, `12.3 kb`, `1.5 Mb`, `inter-chromosomal`.
fn size_text(size: SvSize) -> String {
    match size {
        SvSize::InterChromosomal => "inter-chromosomal".to_owned(),
        SvSize::Bases(n) if n < 1_000 => format!("{n} bp"),
        SvSize::Bases(n) if n < 1_000_000 => format!("{:.1} kb", n as f64 / 1e3),
        SvSize::Bases(n) => format!("{:.1} Mb", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vcf(
        chrom: &str,
        pos: u64,
        alt: &str,
        svtype: Option<&str>,
        svlen: Option<&str>,
        end: Option<u64>,
        mate: Option<Interval>,
    ) -> Option<SvEvent> {
        SvEvent::of_vcf(&VcfSvFields {
            chrom,
            pos,
            alt,
            svtype,
            svlen,
            end,
            mate: mate.as_ref(),
        })
    }

    #[test]
    fn svlen_gives_the_size_before_end() {
        let sv = vcf(
            "1",
            13220,
            "<DEL>",
            Some("DEL"),
            Some("-105"),
            Some(13221),
            None,
        )
        .unwrap();
        assert_eq!(sv.badge(), "DEL 105 bp");
        assert_eq!(sv.size_source, Some(SizeSource::Svlen));
        // Per-allele SVLEN: the first allele's.
        let sv = vcf(
            "19",
            252806,
            "<DEL>",
            Some("DEL"),
            Some("-389,-4611"),
            Some(253195),
            None,
        );
        assert_eq!(sv.unwrap().bases(), Some(389));
        let sv = vcf(
            "3",
            12665100,
            "<DUP>",
            Some("DUP"),
            Some("21100"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(sv.badge(), "DUP 21.1 kb");
    }

    #[test]
    fn end_minus_pos_without_svlen() {
        let sv = vcf("2", 10000, "<DEL>", Some("DEL"), None, Some(12000), None).unwrap();
        assert_eq!(sv.badge(), "DEL 2.0 kb");
        assert_eq!(sv.size_source, Some(SizeSource::End));
        assert!(
            sv.title().contains("2,000 bp (from END − POS)"),
            "{}",
            sv.title()
        );
        let sv = vcf("2", 1, "<INV>", None, None, Some(1_500_001), None).unwrap();
        assert_eq!(sv.badge(), "INV 1.5 Mb");
    }

    #[test]
    fn a_breakend_is_sized_by_its_mate_or_is_inter_chromosomal() {
        let near = Interval::new("7", 55289077, 55289077);
        let sv = vcf(
            "7",
            55286758,
            "A[7:55289077[",
            Some("BND"),
            None,
            None,
            Some(near),
        )
        .unwrap();
        assert_eq!(sv.badge(), "BND 2.3 kb");
        assert_eq!(sv.bases(), Some(2319));
        let far = Interval::new("3", 196361427, 196361427);
        let sv = vcf("2", 33141297, "]3:196361427]G", None, None, None, Some(far)).unwrap();
        assert_eq!(sv.badge(), "BND inter-chromosomal");
        assert_eq!(sv.bases(), None);
        // Delly's translocation: CHR2 and END on another chromosome; END is
        // not a size there.
        let far = Interval::new("chr5", 3000, 3000);
        let sv = vcf(
            "chr1",
            1000,
            "<TRA>",
            Some("TRA"),
            None,
            Some(3000),
            Some(far),
        )
        .unwrap();
        assert_eq!(sv.badge(), "TRA inter-chromosomal");
    }

    #[test]
    fn the_type_comes_from_the_allele_without_svtype() {
        let sv = vcf(
            "2",
            14477084,
            "<DEL:ME:ALU>",
            None,
            Some("-297"),
            None,
            None,
        )
        .unwrap();
        assert_eq!(sv.badge(), "DEL 297 bp");
        let sv = vcf("3", 100, "<INS:ME:L1>", None, None, Some(100), None).unwrap();
        assert_eq!(
            sv.badge(),
            "INS",
            "END = POS says nothing of an insertion's size"
        );
        assert!(sv.title().contains("does not give"));
    }

    #[test]
    fn small_variants_are_no_sv() {
        assert_eq!(vcf("1", 10, "T", None, None, None, None), None);
        assert_eq!(vcf("1", 10, "T,<*>", None, None, None, None), None);
        assert_eq!(vcf("1", 10, ".", Some("."), None, None, None), None);
        assert_eq!(vcf("1", 10, "<*>", None, None, Some(20), None), None);
        assert_eq!(vcf("1", 10, "<NON_REF>", None, None, None, None), None);
    }

    #[test]
    fn bedpe_pairs_have_a_type_column_or_are_pairs() {
        let same = [
            Interval::new("chr1", 1001, 1010),
            Interval::new("chr1", 5001, 5010),
        ];
        let svtools = [
            "chr1", "1000", "1010", "chr1", "5000", "5010", "1", "60", "+", "-", "DEL",
        ];
        let sv = SvEvent::of_bedpe(&svtools, &same).unwrap();
        assert_eq!(sv.badge(), "DEL 4.0 kb");
        let plain = ["chr1", "1000", "1010", "chr1", "5000", "5010", "loop1", "5"];
        assert_eq!(
            SvEvent::of_bedpe(&plain, &same).unwrap().badge(),
            "pair 4.0 kb"
        );
        let apart = [
            Interval::new("chr1", 1001, 1010),
            Interval::new("chr9", 5001, 5010),
        ];
        let sv = SvEvent::of_bedpe(&plain, &apart).unwrap();
        assert_eq!(sv.badge(), "pair inter-chromosomal");
        assert_eq!(SvEvent::of_bedpe(&plain, &same[..1]), None);
    }

    #[test]
    fn an_overlong_svtype_is_cut() {
        let sv = vcf(
            "1",
            10,
            "<DEL>",
            Some("DELETION_OF_A_VERY_LONG_KIND"),
            None,
            None,
            None,
        );
        assert_eq!(sv.unwrap().kind.chars().count(), MAX_TYPE_CHARS);
    }
}
