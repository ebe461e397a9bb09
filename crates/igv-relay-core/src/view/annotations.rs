//! Variant annotations as people triage on them: Ensembl VEP's `CSQ`, snpEff's
//! `ANN` and its older `EFF`, read by the field list their own `##INFO`
//! header line declares, into gene, consequence, impact and HGVS per allele,
//! the worst consequence first.
//!
//! Severity follows Ensembl's calculated consequences table
//! (<https://www.ensembl.org/info/genome/variation/prediction/predicted_data.html>):
//! the order of [`CONSEQUENCES`] is Ensembl's, most severe first, with the
//! impact class Ensembl gives each term.

use crate::formats::VcfHeaderFields;

/// IMPACT as VEP and snpEff grade it, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    High,
    Moderate,
    Low,
    Modifier,
    Unknown,
}

impl Impact {
    fn parse(text: &str) -> Self {
        match text.trim().to_ascii_uppercase().as_str() {
            "HIGH" => Self::High,
            "MODERATE" => Self::Moderate,
            "LOW" => Self::Low,
            "MODIFIER" => Self::Modifier,
            _ => Self::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "HIGH",
            Self::Moderate => "MODERATE",
            Self::Low => "LOW",
            Self::Modifier => "MODIFIER",
            Self::Unknown => "",
        }
    }
}

/// Sequence Ontology consequence terms, most severe first, with their impact.
const CONSEQUENCES: &[(&str, Impact)] = &[
    ("transcript_ablation", Impact::High),
    ("splice_acceptor_variant", Impact::High),
    ("splice_donor_variant", Impact::High),
    ("stop_gained", Impact::High),
    ("frameshift_variant", Impact::High),
    ("stop_lost", Impact::High),
    ("start_lost", Impact::High),
    ("transcript_amplification", Impact::High),
    ("feature_elongation", Impact::High),
    ("feature_truncation", Impact::High),
    ("inframe_insertion", Impact::Moderate),
    ("inframe_deletion", Impact::Moderate),
    ("missense_variant", Impact::Moderate),
    ("protein_altering_variant", Impact::Moderate),
    ("splice_donor_5th_base_variant", Impact::Low),
    ("splice_region_variant", Impact::Low),
    ("splice_donor_region_variant", Impact::Low),
    ("splice_polypyrimidine_tract_variant", Impact::Low),
    ("incomplete_terminal_codon_variant", Impact::Low),
    ("start_retained_variant", Impact::Low),
    ("stop_retained_variant", Impact::Low),
    ("synonymous_variant", Impact::Low),
    ("coding_sequence_variant", Impact::Modifier),
    ("mature_miRNA_variant", Impact::Modifier),
    ("5_prime_UTR_variant", Impact::Modifier),
    ("3_prime_UTR_variant", Impact::Modifier),
    ("non_coding_transcript_exon_variant", Impact::Modifier),
    ("intron_variant", Impact::Modifier),
    ("NMD_transcript_variant", Impact::Modifier),
    ("non_coding_transcript_variant", Impact::Modifier),
    ("coding_transcript_variant", Impact::Modifier),
    ("upstream_gene_variant", Impact::Modifier),
    ("downstream_gene_variant", Impact::Modifier),
    ("TFBS_ablation", Impact::Modifier),
    ("TFBS_amplification", Impact::Modifier),
    ("TF_binding_site_variant", Impact::Modifier),
    ("regulatory_region_ablation", Impact::Modifier),
    ("regulatory_region_amplification", Impact::Modifier),
    ("regulatory_region_variant", Impact::Modifier),
    ("intergenic_variant", Impact::Modifier),
    ("sequence_variant", Impact::Modifier),
];

/// The consequence terms whose impact is `wanted`: text an annotation can
/// hold instead of its IMPACT, which is derived from them when not written.
pub fn terms_with_impact(wanted: impl Fn(Impact) -> bool) -> impl Iterator<Item = &'static str> {
    CONSEQUENCES
        .iter()
        .filter(move |(_, impact)| wanted(*impact))
        .map(|(term, _)| *term)
}

/// The rank (0 = most severe) and impact of a consequence: the worst of its
/// `&`-joined terms; unknown terms (snpEff 3's `NON_SYNONYMOUS_CODING`) rank
/// after every known one.
fn severity(consequence: &str) -> (usize, Impact) {
    consequence
        .split('&')
        .map(|term| {
            CONSEQUENCES
                .iter()
                .position(|(t, _)| t.eq_ignore_ascii_case(term.trim()))
                .map_or((CONSEQUENCES.len(), Impact::Unknown), |i| {
                    (i, CONSEQUENCES[i].1)
                })
        })
        .min()
        .unwrap_or((CONSEQUENCES.len(), Impact::Unknown))
}

/// Which tool wrote the annotations, and so how an entry is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// VEP `CSQ`: `|`-separated fields in the header's order.
    Vep,
    /// snpEff `ANN`: the same, with the fields of the ANN specification.
    Ann,
    /// snpEff 3 `EFF`: `Effect(Impact|Class|…)`, the effect before the brackets.
    Eff,
}

/// How to read one file's annotations: its INFO key and field list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotationSchema {
    pub key: String,
    pub dialect: Dialect,
    /// Field names in entry order (for EFF, the effect comes first).
    pub fields: Vec<String>,
    allele: Option<usize>,
    consequence: Option<usize>,
    impact: Option<usize>,
    gene: Option<usize>,
    hgvsc: Option<usize>,
    hgvsp: Option<usize>,
}

/// One annotation entry, as people read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub allele: String,
    pub consequence: String,
    pub impact: Impact,
    pub gene: String,
    pub hgvsc: String,
    pub hgvsp: String,
    /// Every field of the entry by the header's names, for filters.
    pub values: Vec<String>,
    rank: usize,
}

/// The derived columns annotations give a page, in the order shown.
pub const ANNOTATION_COLUMNS: [&str; 5] = ["Gene", "Consequence", "Impact", "HGVSc", "HGVSp"];

impl AnnotationSchema {
    /// The first of `CSQ`, `ANN`, `EFF` the header declares with a field list.
    pub fn from_header(header: &VcfHeaderFields) -> Option<Self> {
        for (key, dialect) in [
            ("CSQ", Dialect::Vep),
            ("ANN", Dialect::Ann),
            ("EFF", Dialect::Eff),
        ] {
            if let Some(info) = header.info(key)
                && let Some(schema) = Self::from_description(key, dialect, &info.description)
            {
                return Some(schema);
            }
        }
        None
    }

    /// Reads the field list from a description such as VEP's `… Format:
    /// Allele|Consequence|IMPACT|SYMBOL` or snpEff's `Functional annotations:
    /// 'Allele | Annotation | Annotation_Impact | …'`.
    pub fn from_description(key: &str, dialect: Dialect, description: &str) -> Option<Self> {
        let list = match dialect {
            Dialect::Vep => description.rsplit_once("Format:")?.1,
            Dialect::Ann => description
                .split_once('\'')
                .map(|(_, rest)| rest)
                .or_else(|| description.split_once(':').map(|(_, rest)| rest))?,
            Dialect::Eff => description.split_once('(')?.1,
        };
        let list = list
            .trim()
            .trim_end_matches(['\'', '"', ')', ' '])
            .trim_start_matches(['\'', '"', ' ']);
        let mut fields: Vec<String> = list
            .split('|')
            .map(|f| {
                f.trim()
                    .trim_matches(['[', ']', '\'', ' ', ')', '('])
                    .trim()
                    .to_owned()
            })
            .filter(|f| !f.is_empty())
            .collect();
        if dialect == Dialect::Eff {
            fields.insert(0, "Effect".to_owned());
        }
        if fields.len() < 2 {
            return None;
        }
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| fields.iter().position(|f| f.eq_ignore_ascii_case(name)))
        };
        Some(Self {
            key: key.to_owned(),
            dialect,
            allele: find(&["Allele"]),
            consequence: find(&["Consequence", "Annotation", "Effect"]),
            impact: find(&["IMPACT", "Annotation_Impact", "Effect_Impact"]),
            gene: find(&["SYMBOL", "Gene_Name", "Gene"]),
            hgvsc: find(&["HGVSc", "HGVS.c", "Codon_Change"]),
            hgvsp: find(&["HGVSp", "HGVS.p", "Amino_Acid_change", "Amino_Acid_Change"]),
            fields,
        })
    }

    /// The position of the field a filter names: the header's own names, or
    /// the column names pages show (`Gene`, `Consequence`, `Impact`, `HGVSc`,
    /// `HGVSp`), case-insensitive.
    pub fn field(&self, name: &str) -> Option<usize> {
        let derived = match name.to_ascii_lowercase().as_str() {
            "gene" | "symbol" => self.gene,
            "consequence" | "effect" | "annotation" => self.consequence,
            "impact" => self.impact,
            "hgvsc" => self.hgvsc,
            "hgvsp" => self.hgvsp,
            _ => None,
        };
        derived.or_else(|| {
            self.fields
                .iter()
                .position(|f| f.eq_ignore_ascii_case(name))
        })
    }

    /// Every entry of an INFO value, worst consequence first.
    pub fn parse(&self, value: &str) -> Vec<Annotation> {
        let mut out: Vec<Annotation> = value
            .split(',')
            .filter(|entry| !entry.is_empty() && *entry != ".")
            .map(|entry| self.entry(entry))
            .collect();
        out.sort_by_key(|a| (a.impact, a.rank));
        out
    }

    fn entry(&self, entry: &str) -> Annotation {
        let values: Vec<String> = match self.dialect {
            Dialect::Eff => {
                let (effect, rest) = entry.split_once('(').unwrap_or((entry, ""));
                std::iter::once(effect.trim().to_owned())
                    .chain(rest.trim_end_matches(')').split('|').map(str::to_owned))
                    .collect()
            }
            Dialect::Vep | Dialect::Ann => entry.split('|').map(str::to_owned).collect(),
        };
        let get = |i: Option<usize>| {
            i.and_then(|i| values.get(i))
                .map(|v| decode(v))
                .unwrap_or_default()
        };
        let consequence = get(self.consequence);
        let (rank, derived) = severity(&consequence);
        let impact = match self.impact.and_then(|i| values.get(i)) {
            Some(written) if Impact::parse(written) != Impact::Unknown => Impact::parse(written),
            _ => derived,
        };
        Annotation {
            allele: get(self.allele),
            gene: get(self.gene),
            hgvsc: get(self.hgvsc),
            hgvsp: get(self.hgvsp),
            consequence,
            impact,
            rank,
            values,
        }
    }
}

/// VEP writes `%3B` for `;` and `%3D` for `=` inside values (HGVSp `p.Val600Glu`
/// is plain, but `%3D` marks synonymous changes: `p.Leu5%3D`).
fn decode(value: &str) -> String {
    if value.contains('%') {
        percent_encoding::percent_decode_str(value)
            .decode_utf8_lossy()
            .into_owned()
    } else {
        value.to_owned()
    }
}

/// The worst annotation of each allele, in the order the alleles first appear.
pub fn worst_per_allele(annotations: &[Annotation]) -> Vec<&Annotation> {
    let mut out: Vec<&Annotation> = Vec::new();
    for annotation in annotations {
        if !out.iter().any(|a| a.allele == annotation.allele) {
            out.push(annotation);
        }
    }
    out
}

/// The five derived cells of a record ([`ANNOTATION_COLUMNS`]): the worst
/// annotation of each allele, alleles separated by `; `.
pub fn summary_cells(annotations: &[Annotation]) -> [String; 5] {
    let worst = worst_per_allele(annotations);
    let join = |f: &dyn Fn(&Annotation) -> &str| {
        let mut parts: Vec<&str> = worst.iter().map(|a| f(a)).collect();
        parts.dedup();
        parts.join("; ")
    };
    [
        join(&|a| &a.gene),
        join(&|a| &a.consequence),
        join(&|a| a.impact.as_str()),
        join(&|a| &a.hgvsc),
        join(&|a| &a.hgvsp),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const VEP: &str = "Consequence annotations from Ensembl VEP. Format: \
        Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|HGVSc|HGVSp";

    #[test]
    fn vep_entries_are_read_by_the_header_and_the_worst_comes_first() {
        let schema = AnnotationSchema::from_description("CSQ", Dialect::Vep, VEP).unwrap();
        let value = "A|intron_variant|MODIFIER|BRAF|ENSG1|ENST2||,\
                     A|missense_variant|MODERATE|BRAF|ENSG1|ENST1|ENST1:c.1799T>A|ENSP1:p.Val600Glu,\
                     A|splice_region_variant&intron_variant|LOW|BRAF|ENSG1|ENST3||";
        let parsed = schema.parse(value);
        assert_eq!(parsed[0].consequence, "missense_variant");
        assert_eq!(parsed[0].impact, Impact::Moderate);
        assert_eq!(parsed[0].hgvsp, "ENSP1:p.Val600Glu");
        assert_eq!(parsed[1].impact, Impact::Low);
        assert_eq!(
            summary_cells(&parsed),
            [
                "BRAF".to_owned(),
                "missense_variant".to_owned(),
                "MODERATE".to_owned(),
                "ENST1:c.1799T>A".to_owned(),
                "ENSP1:p.Val600Glu".to_owned()
            ]
        );
        assert_eq!(schema.field("gene"), Some(3));
        assert_eq!(schema.field("Feature"), Some(5));
    }

    #[test]
    fn without_an_impact_field_the_consequence_gives_it() {
        let schema = AnnotationSchema::from_description(
            "CSQ",
            Dialect::Vep,
            "Consequence annotations from Ensembl VEP. Format: Consequence|Codons|Gene|SYMBOL",
        )
        .unwrap();
        let parsed = schema.parse("stop_gained|Cag/Tag|ENSG9|TP53,intron_variant|||TP53");
        assert_eq!(parsed[0].impact, Impact::High);
        assert_eq!(parsed[0].gene, "TP53");
    }

    #[test]
    fn snpeff_ann_and_eff_are_read_too() {
        let ann = AnnotationSchema::from_description(
            "ANN",
            Dialect::Ann,
            "Functional annotations: 'Allele | Annotation | Annotation_Impact | Gene_Name | \
             Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p' ",
        )
        .unwrap();
        let parsed = ann.parse(
            "T|missense_variant|MODERATE|KRAS|ENSG|transcript|ENST|protein_coding|2/5|c.35G>A|p.Gly12Asp",
        );
        assert_eq!(parsed[0].gene, "KRAS");
        assert_eq!(parsed[0].hgvsp, "p.Gly12Asp");
        let eff = AnnotationSchema::from_description(
            "EFF",
            Dialect::Eff,
            "Predicted effects for this variant.Format: 'Effect ( Effect_Impact | Functional_Class \
             | Codon_Change | Amino_Acid_change| Amino_Acid_length | Gene_Name | Gene_BioType | \
             Coding | Transcript | Exon [ | ERRORS | WARNINGS ] )' ",
        )
        .unwrap();
        let parsed = eff.parse(
            "DOWNSTREAM(MODIFIER|||||DDX11L1|processed_transcript|NON_CODING|ENST1||1),\
             NON_SYNONYMOUS_CODING(MODERATE|MISSENSE|gCt/gTt|A9V|100|GENE2|protein_coding|CODING|ENST2|1|1)",
        );
        assert_eq!(parsed[0].consequence, "NON_SYNONYMOUS_CODING");
        assert_eq!(parsed[0].impact, Impact::Moderate);
        assert_eq!(parsed[0].gene, "GENE2");
        assert_eq!(parsed[0].hgvsp, "A9V");
        assert_eq!(eff.field("Gene_Name"), Some(6));
    }
}
