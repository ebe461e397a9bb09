//! What a triage page is asked to show of a file beyond its rows: which
//! columns (`?cols=` INFO keys and annotation columns, `?fmt=` FORMAT keys,
//! `?samples=`), which records (`?where=` conditions, annotation search) and
//! in which order (`?sort=`). The choices are plain data, made before the
//! file is opened (they decide its cells; the web layer reads them from the
//! query), and checked against its header after ([`Triage::resolve`]).

use std::fmt;
use std::sync::Arc;

use super::annotations::{ANNOTATION_COLUMNS, Annotation, AnnotationSchema, summary_cells};
use super::conditions::{Condition, Field, FieldSet, RecordFields, SortSpec};
use crate::error::CoreError;
use crate::formats::{
    FormatOptions, LineHint, Record, RecordStream, SvEvent, VcfHeaderFields, VcfValues,
};
use crate::rows::RowPredicate;

/// CHROM POS ID REF ALT QUAL FILTER: the columns before INFO's.
const FIXED_VCF_COLUMNS: usize = 7;

/// Most names one `?cols=`, `?fmt=` or `?samples=` may list.
pub const MAX_LISTED: usize = 200;

/// The column picker's checkboxes are `c.NAME=1` (a form cannot repeat one
/// name: the query parser refuses duplicates), with `cols_form=1` saying the
/// picker was sent (so "none ticked" differs from "not asked").
pub const PICKER_PREFIX: &str = "c.";

/// The choices as the query states them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TriageChoices {
    /// `None`: the file's defaults.
    pub cols: Option<Vec<String>>,
    pub fmt: Vec<String>,
    pub samples: Vec<String>,
    pub where_text: Option<String>,
    pub sort_text: Option<String>,
}

impl TriageChoices {
    /// The stream options that give these columns: INFO keys among `cols`
    /// (annotation columns are derived, not read), FORMAT keys, samples.
    pub fn format_options(&self, options: FormatOptions) -> FormatOptions {
        let info_fields = match &self.cols {
            None => options.info_fields,
            Some(cols) => {
                let info: Vec<String> = cols
                    .iter()
                    .filter(|c| !is_annotation_column(c))
                    .cloned()
                    .collect();
                // An empty list means "the defaults" to the stream; a picker with
                // nothing ticked means none, which no INFO key is called.
                if info.is_empty() {
                    vec![String::new()]
                } else {
                    info
                }
            }
        };
        FormatOptions {
            info_fields,
            format_fields: self.fmt.clone(),
            samples: self.samples.clone(),
            ..options
        }
    }
}

fn is_annotation_column(name: &str) -> bool {
    ANNOTATION_COLUMNS
        .iter()
        .any(|c| c.eq_ignore_ascii_case(name))
}

/// The choices checked against one open file.
#[derive(Clone, Debug)]
pub struct Triage {
    pub header: Option<VcfHeaderFields>,
    pub annotations: Option<AnnotationSchema>,
    /// Derived annotation columns shown, in order (after FILTER).
    pub annotation_columns: Vec<&'static str>,
    pub conditions: Vec<Condition>,
    pub sort: Option<SortSpec>,
    /// Header indices of the samples shown.
    pub shown_samples: Vec<usize>,
    pub choices: TriageChoices,
}

impl Triage {
    /// No choices: a plain view.
    pub fn none() -> Self {
        Self {
            header: None,
            annotations: None,
            annotation_columns: Vec::new(),
            conditions: Vec::new(),
            sort: None,
            shown_samples: Vec::new(),
            choices: TriageChoices::default(),
        }
    }

    /// Checks the choices against the stream's header and columns; every
    /// name the file lacks is a 400 naming what it has.
    pub fn resolve(choices: &TriageChoices, stream: &dyn RecordStream) -> Result<Self, CoreError> {
        let header = stream.vcf_header().cloned();
        let annotations = header.as_ref().and_then(AnnotationSchema::from_header);
        let annotation_columns = match &header {
            Some(header) => checked_columns(choices, header, annotations.as_ref())?,
            None => {
                no_columns_to_choose(choices)?;
                Vec::new()
            }
        };
        let shown_samples = header
            .as_ref()
            .map(|h| {
                stream
                    .samples()
                    .iter()
                    .filter_map(|s| h.sample_index(s))
                    .collect()
            })
            .unwrap_or_default();
        let columns = stream.columns();
        let fields = FieldSet {
            header: header.as_ref(),
            annotations: annotations.as_ref(),
            columns,
        };
        let conditions = match &choices.where_text {
            None => Vec::new(),
            Some(text) => fields
                .conditions(text)
                .map_err(|e| CoreError::choice("where", text, e))?,
        };
        let sort = match &choices.sort_text {
            None => None,
            Some(text) => Some(
                fields
                    .sort(text)
                    .map_err(|e| CoreError::choice("sort", text, e))?,
            ),
        };
        Ok(Self {
            header,
            annotations,
            annotation_columns,
            conditions,
            sort,
            shown_samples,
            choices: choices.clone(),
        })
    }

    /// Whether rows need their VCF values: to derive annotation columns, or
    /// to sort.
    pub fn wants_values(&self) -> bool {
        self.header.is_some()
            && (!self.annotation_columns.is_empty()
                || self.annotations.is_some()
                || self.sort.is_some())
    }

    /// The samples whose columns rows must carry (shown ones, and those
    /// conditions or the sort name).
    pub fn value_samples(&self) -> Vec<usize> {
        let mut samples = self.shown_samples.clone();
        let named = self
            .conditions
            .iter()
            .map(|c| &c.field)
            .chain(self.sort.as_ref().map(|s| &s.field));
        for field in named {
            if let Field::Format {
                sample: Some(s), ..
            } = field
                && !samples.contains(s)
            {
                samples.push(*s);
            }
        }
        samples
    }

    /// The annotations of a record (empty without a schema or values).
    pub fn annotations_of(&self, values: Option<&VcfValues>) -> Vec<Annotation> {
        match (&self.annotations, values) {
            (Some(schema), Some(values)) => match values.info_value(&schema.key) {
                Some(Some(text)) => schema.parse(text),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// The predicate of `?where=` (and of the annotation search when the view
    /// searches: `searching`), if the view needs one. Without one, records are
    /// not read beyond their cells, which keeps plain views as fast as before.
    pub fn predicate(&self, searching: bool) -> Option<Arc<dyn RowPredicate>> {
        (!self.conditions.is_empty() || (searching && self.annotations.is_some())).then(|| {
            Arc::new(TriagePredicate {
                conditions: self.conditions.clone(),
                annotations: self.annotations.clone(),
                samples: self.value_samples(),
                vcf: self.header.is_some(),
            }) as Arc<dyn RowPredicate>
        })
    }

    /// A record's fields for conditions and sort keys.
    pub fn record_fields<'a>(
        record_chrom: &'a str,
        pos: u64,
        values: Option<&'a VcfValues>,
        annotations: &'a [Annotation],
        cells: &'a [String],
        sv: Option<&'a SvEvent>,
    ) -> RecordFields<'a> {
        RecordFields {
            chrom: record_chrom,
            pos,
            values,
            annotations,
            cells,
            sv,
        }
    }

    /// The page's columns: the stream's, with the annotation columns after
    /// VCF's FILTER.
    pub fn columns(&self, stream_columns: &[String]) -> Vec<String> {
        let mut columns = stream_columns.to_vec();
        if self.header.is_some() && columns.len() >= FIXED_VCF_COLUMNS {
            columns.splice(
                FIXED_VCF_COLUMNS..FIXED_VCF_COLUMNS,
                self.annotation_columns.iter().map(|c| (*c).to_owned()),
            );
        }
        columns
    }

    /// A row's cells as the page shows them: the stream's, with the
    /// annotation cells after VCF's FILTER.
    pub fn cells(&self, mut cells: Vec<String>, values: Option<&VcfValues>) -> Vec<String> {
        if self.annotation_columns.is_empty() || cells.len() < FIXED_VCF_COLUMNS {
            return cells;
        }
        let summary = summary_cells(&self.annotations_of(values));
        let derived = self.annotation_columns.iter().map(|name| {
            ANNOTATION_COLUMNS
                .iter()
                .position(|c| c == name)
                .map(|i| summary[i].clone())
                .unwrap_or_default()
        });
        cells.splice(FIXED_VCF_COLUMNS..FIXED_VCF_COLUMNS, derived);
        cells
    }

    /// Descriptions of the columns the stream shows (the header's, for VCF
    /// INFO and FORMAT), for column titles.
    pub fn column_title(&self, column: &str) -> String {
        let Some(header) = &self.header else {
            return String::new();
        };
        if let Some(info) = header.info(column) {
            return info.description.clone();
        }
        if header.sample_index(column).is_some() {
            let keys = if self.choices.fmt.is_empty() {
                "GT".to_owned()
            } else {
                self.choices.fmt.join(":")
            };
            return format!("Sample {column}: {keys}");
        }
        match column {
            "Gene" | "Consequence" | "Impact" | "HGVSc" | "HGVSp" => self
                .annotations
                .as_ref()
                .map(|a| {
                    format!(
                        "From the {} annotations, worst consequence of each allele",
                        a.key
                    )
                })
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// The annotation columns shown, once the choices' INFO keys, annotation
/// columns, FORMAT keys and samples are checked against the file's header.
fn checked_columns(
    choices: &TriageChoices,
    header: &VcfHeaderFields,
    annotations: Option<&AnnotationSchema>,
) -> Result<Vec<&'static str>, CoreError> {
    let mut annotation_columns = Vec::new();
    if let Some(cols) = &choices.cols {
        for name in cols {
            if let Some(column) = ANNOTATION_COLUMNS
                .iter()
                .find(|c| c.eq_ignore_ascii_case(name))
            {
                if annotations.is_none() {
                    return Err(CoreError::choice(
                        "cols",
                        name,
                        "this file has no VEP (CSQ) or snpEff (ANN, EFF) annotations",
                    ));
                }
                annotation_columns.push(*column);
            } else if header.info(name).is_none() {
                return Err(CoreError::choice(
                    "cols",
                    name,
                    format!(
                        "not an INFO field of this file; it has {}",
                        none_if_empty(header.info_ids())
                    ),
                ));
            }
        }
    } else if annotations.is_some() {
        annotation_columns = ANNOTATION_COLUMNS.to_vec();
    }
    for name in &choices.fmt {
        if header.format(name).is_none() {
            return Err(CoreError::choice(
                "fmt",
                name,
                format!(
                    "not a FORMAT field of this file; it has {}",
                    none_if_empty(header.format_ids())
                ),
            ));
        }
    }
    for name in &choices.samples {
        if header.sample_index(name).is_none() {
            return Err(CoreError::choice(
                "samples",
                name,
                format!(
                    "not a sample of this file ({} samples, e.g. {})",
                    header.samples.len(),
                    names(header.samples.iter().take(5).map(String::as_str))
                ),
            ));
        }
    }
    Ok(annotation_columns)
}

/// Files without a VCF header have no columns to choose.
fn no_columns_to_choose(choices: &TriageChoices) -> Result<(), CoreError> {
    for (key, names) in [
        ("cols", choices.cols.as_deref().unwrap_or(&[])),
        ("fmt", &choices.fmt[..]),
        ("samples", &choices.samples[..]),
    ] {
        if let Some(name) = names.first() {
            return Err(CoreError::choice(
                key,
                name,
                "only VCF files have INFO, FORMAT and sample columns to choose",
            ));
        }
    }
    Ok(())
}

fn none_if_empty(list: String) -> String {
    if list.is_empty() {
        "none".to_owned()
    } else {
        list
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<&str> = names.collect();
    if all.is_empty() {
        "none".to_owned()
    } else {
        all.join(", ")
    }
}

/// `?where=` conditions and the annotation search, as a row predicate.
struct TriagePredicate {
    conditions: Vec<Condition>,
    annotations: Option<AnnotationSchema>,
    samples: Vec<usize>,
    vcf: bool,
}

impl fmt::Debug for TriagePredicate {
    /// The conditions as written: two predicates with the same text select
    /// the same rows (the page index relies on it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<&str> = self.conditions.iter().map(|c| c.text.as_str()).collect();
        write!(f, "where[{}]", texts.join(";"))
    }
}

impl RowPredicate for TriagePredicate {
    fn samples(&self) -> &[usize] {
        &self.samples
    }

    fn wants_values(&self) -> bool {
        self.vcf
    }

    fn keeps(&self, record: &Record, values: Option<&VcfValues>) -> bool {
        if self.conditions.is_empty() {
            return true;
        }
        let annotations = match (&self.annotations, values) {
            (Some(schema), Some(values)) => match values.info_value(&schema.key) {
                Some(Some(text)) => schema.parse(text),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let first = record.intervals.first();
        let fields = RecordFields {
            chrom: first.map_or("", |i| i.chrom.as_str()),
            pos: first.map_or(0, |i| i.start),
            values,
            annotations: &annotations,
            cells: &record.cells,
            sv: record.sv.as_deref(),
        };
        self.conditions.iter().all(|c| c.holds(&fields))
    }

    fn line_hint(&self) -> Option<LineHint> {
        if !self.vcf {
            return None;
        }
        let mut hint = LineHint::default();
        for condition in &self.conditions {
            if let Some(needles) = condition.line_needles() {
                hint.require_any(needles);
            }
            if let Some((key, op)) = condition.info_number() {
                hint.require_info_number(key, op, &condition.value);
            }
        }
        (!hint.is_empty()).then_some(hint)
    }

    fn matches_query(&self, query: &str, _record: &Record, values: Option<&VcfValues>) -> bool {
        let (Some(schema), Some(values)) = (&self.annotations, values) else {
            return false;
        };
        let Some(Some(text)) = values.info_value(&schema.key) else {
            return false;
        };
        schema.parse(text).iter().any(|a| {
            [&a.gene, &a.consequence, &a.hgvsc, &a.hgvsp]
                .iter()
                .any(|v| v.to_lowercase().contains(query))
        })
    }
}

#[cfg(test)]
mod line_hint_tests {
    use super::*;
    use crate::formats::{FormatKind, Item, open};

    /// Derived impacts (no IMPACT field), percent-encoded HGVSp, a flag,
    /// lower-case values, a Latin-1 line and a malformed one.
    const VCF: &[u8] = b"##fileformat=VCFv4.2\n\
##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
##INFO=<ID=DB,Number=0,Type=Flag,Description=\"dbSNP\">\n\
##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|SYMBOL|HGVSp\">\n\
##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n\
##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n\
chr1\t10\trs1\tA\tT\t50\tPASS\tDP=20;DB;CSQ=T|stop_gained|BRCA2|p.Leu5%3D\tGT:DP\t0/1:7\n\
chr1\t20\t.\tA\tG\t50\tq10\tDP=20.0;CSQ=G|missense_variant|brca2|p.Val6Glu\tGT:DP\t0/1:8\n\
chr1\t30\t.\tC\tT\t.\tPASS\tDP=5;CSQ=T|splice_donor_variant&intron_variant|TP53|\tGT:DP\t1/1:7\n\
chr1\t40\trs2\tG\tA\t.\tPASS\tDP=5;CSQ=A|intron_variant|TP53|,A|frameshift_variant|KRAS|\tGT:DP\t0/0:3\n\
chr1\t50\t.\tG\tA\t.\tPASS\tDP=9;CSQ=A|synonymous_variant|CAF\xe9|p.Leu5%3D\tGT:DP\t0/1:7\n\
chr1\t60\tbroken\n\
chr1\t70\t.\tT\tC\t.\tPASS\tDB;CSQ=C|intron_variant|high|\tGT:DP\t0/1:7\n";

    fn kept_lines(where_text: &str, hinted: bool) -> Vec<u64> {
        let mut stream = open(
            FormatKind::Vcf,
            Box::new(std::io::Cursor::new(VCF.to_vec())),
            &Default::default(),
        )
        .unwrap();
        let choices = TriageChoices {
            where_text: Some(where_text.to_owned()),
            ..TriageChoices::default()
        };
        let triage = Triage::resolve(&choices, stream.as_ref()).unwrap();
        let predicate = triage.predicate(false).expect("a condition");
        if hinted {
            let hint = predicate.line_hint().expect(where_text);
            stream.set_line_hint(&hint);
        }
        let mut kept = Vec::new();
        while let Some(item) = stream.next_item().unwrap() {
            let Item::Record(record) = item else { continue };
            let values = stream.current_values(predicate.samples());
            if predicate.keeps(&record, values.as_ref()) {
                kept.push(record.line);
            }
        }
        kept
    }

    #[test]
    fn the_line_hint_keeps_exactly_what_the_conditions_keep() {
        for (condition, expected) in [
            ("Impact=HIGH", vec![8, 10, 11]),
            ("Impact~mod", vec![9, 11, 14]),
            ("Gene=BRCA2", vec![8, 9]),
            ("HGVSp=p.Leu5=", vec![8, 12]),
            ("HGVSp~leu5", vec![8, 12]),
            ("Consequence~GAINED", vec![8]),
            ("FILTER=PASS", vec![8, 10, 11, 12, 14]),
            ("ID=RS2", vec![11]),
            ("S1.GT=1/1", vec![10]),
            ("Impact=HIGH; Gene=KRAS", vec![11]),
            ("DP<10", vec![10, 11, 12]),
            ("DP=20", vec![8, 9]),
            ("DP>=20", vec![8, 9]),
            ("DP>5; Impact=HIGH", vec![8]),
            ("DB<1", vec![]),
            ("INFO/DP>8.5", vec![8, 9, 12]),
        ] {
            assert_eq!(
                kept_lines(condition, false),
                expected,
                "{condition} unhinted"
            );
            assert_eq!(
                kept_lines(condition, true),
                expected,
                "{condition} with the hint"
            );
        }
    }

    #[test]
    fn conditions_that_the_raw_line_may_not_spell_give_no_hint() {
        for condition in [
            "DB=true",
            "DP!=20",
            "QUAL>10",
            "CHROM=1",
            "Gene!=TP53",
            "Gene=CAFé",
        ] {
            let stream = open(
                FormatKind::Vcf,
                Box::new(std::io::Cursor::new(VCF.to_vec())),
                &Default::default(),
            )
            .unwrap();
            let choices = TriageChoices {
                where_text: Some(condition.to_owned()),
                ..TriageChoices::default()
            };
            let triage = Triage::resolve(&choices, stream.as_ref()).unwrap();
            let predicate = triage.predicate(false).expect("a condition");
            assert_eq!(predicate.line_hint(), None, "{condition}");
        }
    }
}
