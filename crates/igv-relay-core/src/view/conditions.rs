//! Filter conditions and sort keys a link page can be asked for, in the URL
//! so they can be shared: `?where=AF<0.01; DP>=20; IMPACT=HIGH` and
//! `?sort=-QUAL`.
//!
//! A condition is `FIELD OP VALUE` (`OP` one of `=`, `!=`, `<`, `<=`, `>`,
//! `>=`, `~` for "contains"), or `FIELD` / `!FIELD` for present / absent.
//! Conditions are separated by `;` and must all hold. Fields of a VCF:
//! `CHROM POS ID REF ALT QUAL FILTER`, any INFO key (`AF` or `INFO/AF`), a
//! FORMAT key of one sample (`NA12878.DP`) or of any sample (`FORMAT/DP`),
//! and annotation fields (`Gene`, `Consequence`, `Impact`, `HGVSc`, `HGVSp`,
//! or any field the CSQ/ANN header names). Other formats: their column names.
//! A field with several values (`AF=0.1,0.3`, several annotations) matches
//! when any value does; numbers compare as numbers.

use std::cmp::Ordering;
use std::fmt;

use super::annotations::{Annotation, AnnotationSchema, Impact, terms_with_impact};
use crate::formats::{NumberOp, SvEvent, VcfHeaderFields, VcfValues};

/// Most conditions one page may carry.
pub const MAX_CONDITIONS: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    Present,
    Absent,
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "~",
            Op::Present | Op::Absent => "",
        }
    }
}

/// Where a field's values come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Chrom,
    Pos,
    Id,
    Ref,
    Alt,
    Qual,
    Filter,
    Info(String),
    /// A FORMAT key of one sample (header index), or of any sample.
    Format {
        key: String,
        sample: Option<usize>,
    },
    /// A field of the annotation entries (its position in the schema).
    Annotation(usize),
    /// What pages show of annotations: `Gene`, `Consequence`, `Impact`
    /// (derived from the consequence when the file has no IMPACT), `HGVSc`,
    /// `HGVSp`.
    Summary(SummaryField),
    /// A display column of a non-VCF file.
    Column(usize),
    /// `SVSIZE`: a structural variant's size in bases (SVLEN, else END −
    /// POS, else the distance to its mate; none for an inter-chromosomal
    /// or unsized event, and for records that are no SV).
    SvSize,
}

/// The derived field of [`Field::SvSize`].
pub const SV_SIZE_FIELD: &str = "SVSIZE";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryField {
    Gene,
    Consequence,
    Impact,
    HgvsC,
    HgvsP,
}

impl SummaryField {
    fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "gene" | "symbol" | "gene_name" => Self::Gene,
            "consequence" | "annotation" | "effect" => Self::Consequence,
            "impact" | "annotation_impact" | "effect_impact" => Self::Impact,
            "hgvsc" | "hgvs.c" => Self::HgvsC,
            "hgvsp" | "hgvs.p" => Self::HgvsP,
            _ => return None,
        })
    }

    fn of(self, annotation: &Annotation) -> &str {
        match self {
            Self::Gene => &annotation.gene,
            Self::Consequence => &annotation.consequence,
            Self::Impact => annotation.impact.as_str(),
            Self::HgvsC => &annotation.hgvsc,
            Self::HgvsP => &annotation.hgvsp,
        }
    }
}

/// One condition, resolved against the file's fields.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// As written (normalised spacing), for notices and the page index key.
    pub text: String,
    pub field: Field,
    pub op: Op,
    pub value: String,
    number: Option<f64>,
}

/// A field name that means nothing for this file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    pub name: String,
    pub known: String,
}

impl fmt::Display for UnknownField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this file has no field {:?}; it has {}",
            self.name, self.known
        )
    }
}

/// What a file offers to filter and sort on.
pub struct FieldSet<'a> {
    pub header: Option<&'a VcfHeaderFields>,
    pub annotations: Option<&'a AnnotationSchema>,
    /// Display columns (non-VCF files).
    pub columns: &'a [String],
}

impl FieldSet<'_> {
    pub fn resolve(&self, name: &str) -> Result<Field, UnknownField> {
        let name = name.trim();
        if let Some(header) = self.header {
            let fixed = match name.to_ascii_uppercase().as_str() {
                "CHROM" => Some(Field::Chrom),
                "POS" => Some(Field::Pos),
                "ID" => Some(Field::Id),
                "REF" => Some(Field::Ref),
                "ALT" => Some(Field::Alt),
                "QUAL" => Some(Field::Qual),
                "FILTER" => Some(Field::Filter),
                _ => None,
            };
            if let Some(field) = fixed {
                return Ok(field);
            }
            let info_key = name.strip_prefix("INFO/").unwrap_or(name);
            if header.info(info_key).is_some() {
                return Ok(Field::Info(info_key.to_owned()));
            }
            // After INFO: a file's own SVSIZE key wins.
            if name.eq_ignore_ascii_case(SV_SIZE_FIELD) {
                return Ok(Field::SvSize);
            }
            if let Some(key) = name.strip_prefix("FORMAT/").or(name.strip_prefix("FMT/"))
                && header.format(key).is_some()
            {
                return Ok(Field::Format {
                    key: key.to_owned(),
                    sample: None,
                });
            }
            // `SAMPLE.KEY`: sample names may hold dots, so the key is what
            // follows the last one.
            if let Some((sample, key)) = name.rsplit_once('.')
                && let Some(index) = header.sample_index(sample)
                && header.format(key).is_some()
            {
                return Ok(Field::Format {
                    key: key.to_owned(),
                    sample: Some(index),
                });
            }
            if let Some(schema) = self.annotations {
                if let Some(summary) = SummaryField::parse(name) {
                    return Ok(Field::Summary(summary));
                }
                if let Some(i) = schema.field(name) {
                    return Ok(Field::Annotation(i));
                }
            }
            return Err(self.unknown(name));
        }
        self.columns
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .map(Field::Column)
            .or_else(|| {
                name.eq_ignore_ascii_case(SV_SIZE_FIELD)
                    .then_some(Field::SvSize)
            })
            .ok_or_else(|| self.unknown(name))
    }

    fn unknown(&self, name: &str) -> UnknownField {
        let mut known: Vec<String> = Vec::new();
        match self.header {
            Some(header) => {
                known.push("CHROM, POS, ID, REF, ALT, QUAL, FILTER, SVSIZE".to_owned());
                if !header.infos.is_empty() {
                    known.push(format!("INFO {}", header.info_ids()));
                }
                if !header.formats.is_empty() {
                    known.push(format!(
                        "FORMAT/KEY or SAMPLE.KEY with KEY one of {}",
                        header.format_ids()
                    ));
                }
                if let Some(schema) = self.annotations {
                    known.push(format!(
                        "annotation fields Gene, Consequence, Impact, HGVSc, HGVSp, {}",
                        schema.fields.join(", ")
                    ));
                }
            }
            None => known.push(format!("{}, {SV_SIZE_FIELD}", self.columns.join(", "))),
        }
        UnknownField {
            name: name.to_owned(),
            known: known.join("; "),
        }
    }

    /// Parses `?where=`: conditions separated by `;`.
    pub fn conditions(&self, text: &str) -> Result<Vec<Condition>, String> {
        let parts: Vec<&str> = text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.len() > MAX_CONDITIONS {
            return Err(format!("at most {MAX_CONDITIONS} conditions"));
        }
        parts.into_iter().map(|part| self.condition(part)).collect()
    }

    fn condition(&self, text: &str) -> Result<Condition, String> {
        let (name, op, value) = split_condition(text)?;
        let field = self
            .resolve(name)
            .map_err(|e| format!("in {text:?}: {e}"))?;
        let number = value.parse::<f64>().ok().filter(|n| n.is_finite());
        if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && number.is_none() {
            return Err(format!(
                "in {text:?}: {} compares numbers, and {value:?} is not one",
                op.as_str()
            ));
        }
        Ok(Condition {
            text: format!("{name}{}{value}", op.as_str()),
            field,
            op,
            value,
            number,
        })
    }
}

/// A condition's field name, operator and value, as written: the leftmost
/// operator (at the same place the longer one), or `FIELD` / `!FIELD`.
fn split_condition(text: &str) -> Result<(&str, Op, String), String> {
    let operators = ["<=", ">=", "!=", "=", "<", ">", "~"];
    let found = operators
        .iter()
        .filter_map(|op| text.find(op).map(|at| (at, *op)))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.len().cmp(&a.1.len())));
    let (name, op, value) = match found {
        Some((at, op)) => {
            let op_kind = match op {
                "<=" => Op::Le,
                ">=" => Op::Ge,
                "!=" => Op::Ne,
                "=" => Op::Eq,
                "<" => Op::Lt,
                ">" => Op::Gt,
                _ => Op::Contains,
            };
            (
                text[..at].trim(),
                op_kind,
                text[at + op.len()..].trim().to_owned(),
            )
        }
        None => match text.strip_prefix('!') {
            Some(name) => (name.trim(), Op::Absent, String::new()),
            None => (text, Op::Present, String::new()),
        },
    };
    if name.is_empty() {
        return Err(format!(
            "{text:?} names no field (write FIELD<VALUE, e.g. DP>=20)"
        ));
    }
    Ok((name, op, value))
}

/// The operators a condition may use, for messages.
const OPERATORS: &str = "= != < <= > >= ~ (contains), FIELD (present), !FIELD (absent)";

/// Checks `?where=` text as far as it can be without a file (a configured
/// view's conditions, at start-up): each condition well formed, its
/// operator one of [`OPERATORS`], a number where one is compared. Returns
/// the field names, which only a file can resolve (INFO keys differ per
/// file).
pub fn written_fields(text: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = text
        .split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts.len() > MAX_CONDITIONS {
        return Err(format!("at most {MAX_CONDITIONS} conditions"));
    }
    let operator_char = |c: char| "=<>!~".contains(c);
    parts
        .into_iter()
        .map(|part| {
            let (name, op, value) = split_condition(part)?;
            let glued: String = value.chars().take_while(|c| operator_char(*c)).collect();
            if !glued.is_empty() {
                return Err(format!(
                    "in {part:?}: unknown operator \"{}{glued}\"; the operators are {OPERATORS}",
                    op.as_str()
                ));
            }
            if name.contains(char::is_whitespace) || name.contains(operator_char) {
                return Err(format!(
                    "in {part:?}: no operator between field and value; the operators are {OPERATORS}"
                ));
            }
            let number = value.parse::<f64>().ok().filter(|n| n.is_finite());
            if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && number.is_none() {
                return Err(format!(
                    "in {part:?}: {} compares numbers, and {value:?} is not one",
                    op.as_str()
                ));
            }
            Ok(name.to_owned())
        })
        .collect()
}

/// The field a `?sort=` text names (`-FIELD` for largest first).
pub fn sort_field(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix('-')
        .or_else(|| text.strip_prefix('+'))
        .unwrap_or(text)
        .trim()
}

/// Everything a condition or a sort key may read of one record.
pub struct RecordFields<'a> {
    pub chrom: &'a str,
    pub pos: u64,
    pub values: Option<&'a VcfValues>,
    pub annotations: &'a [Annotation],
    pub cells: &'a [String],
    /// The record's structural variant, if it is one ([`Field::SvSize`]).
    pub sv: Option<&'a SvEvent>,
}

impl RecordFields<'_> {
    /// The field's values (missing ones left out).
    pub fn values_of(&self, field: &Field) -> Vec<String> {
        let split = |text: &str, separator: char| -> Vec<String> {
            text.split(separator)
                .filter(|v| !v.is_empty() && *v != ".")
                .map(str::to_owned)
                .collect()
        };
        match field {
            Field::Chrom => vec![self.chrom.to_owned()],
            Field::Pos => vec![self.pos.to_string()],
            Field::SvSize => self
                .sv
                .and_then(SvEvent::bases)
                .map(|n| vec![n.to_string()])
                .unwrap_or_default(),
            Field::Column(i) => self
                .cells
                .get(*i)
                .filter(|c| !c.is_empty() && *c != ".")
                .map(|c| vec![c.clone()])
                .unwrap_or_default(),
            Field::Summary(summary) => self
                .annotations
                .iter()
                .map(|a| summary.of(a))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .collect(),
            Field::Annotation(i) => self
                .annotations
                .iter()
                .filter_map(|a| a.values.get(*i))
                .filter(|v| !v.is_empty())
                .cloned()
                .collect(),
            other => {
                let Some(values) = self.values else {
                    return Vec::new();
                };
                match other {
                    Field::Id => split(&values.id, ';'),
                    Field::Ref => vec![values.reference.clone()],
                    Field::Alt => split(&values.alternate, ','),
                    Field::Qual => split(&values.quality, ','),
                    Field::Filter => split(&values.filter, ';'),
                    Field::Info(key) => match values.info_value(key) {
                        None => Vec::new(),
                        Some(None) => vec!["true".to_owned()],
                        Some(Some(v)) => split(v, ','),
                    },
                    Field::Format { key, sample } => {
                        let mut out = Vec::new();
                        for (index, _) in &values.samples {
                            if sample.is_none_or(|s| s == *index)
                                && let Some(v) = values.sample_value(*index, key)
                            {
                                out.extend(split(v, ','));
                            }
                        }
                        out
                    }
                    _ => Vec::new(),
                }
            }
        }
    }
}

impl Condition {
    pub fn holds(&self, record: &RecordFields<'_>) -> bool {
        let values = record.values_of(&self.field);
        match self.op {
            Op::Present => !values.is_empty(),
            Op::Absent => values.is_empty(),
            Op::Ne => !values.iter().any(|v| self.equals(v)),
            Op::Eq => values.iter().any(|v| self.equals(v)),
            Op::Contains => {
                let needle = self.value.to_lowercase();
                values.iter().any(|v| v.to_lowercase().contains(&needle))
            }
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let Some(limit) = self.number else {
                    return false;
                };
                values
                    .iter()
                    .filter_map(|v| v.parse::<f64>().ok())
                    .any(|v| match self.op {
                        Op::Lt => v < limit,
                        Op::Le => v <= limit,
                        Op::Gt => v > limit,
                        _ => v >= limit,
                    })
            }
        }
    }

    /// Text a VCF line must contain for this condition to hold, any one of
    /// the list ([`crate::formats::LineHint`]), when the condition says so:
    /// `=` and `~` on text the line spells as the page reads it. Numbers
    /// (`DP=20` holds for `20.0`), QUAL (reformatted), CHROM (`chr7` holds
    /// for `7`), negations and a flag's `true` (not written) say nothing.
    pub fn line_needles(&self) -> Option<Vec<String>> {
        if !matches!(self.op, Op::Eq | Op::Contains) || self.value.is_empty() {
            return None;
        }
        if self.op == Op::Eq && self.number.is_some() {
            return None;
        }
        // `~` compares Unicode lower case, which ASCII case folding misses.
        if self.op == Op::Contains && !self.value.is_ascii() {
            return None;
        }
        let value = self.value.clone();
        match &self.field {
            Field::Id | Field::Ref | Field::Alt | Field::Filter => Some(vec![value]),
            Field::Format { .. } | Field::Annotation(_) => Some(vec![value]),
            Field::Info(_) => {
                let flag = match self.op {
                    Op::Eq => "true".eq_ignore_ascii_case(&value),
                    _ => "true".contains(&value.to_ascii_lowercase()),
                };
                (!flag).then(|| vec![value])
            }
            Field::Summary(SummaryField::Impact) => {
                // IMPACT as written, or a consequence it is derived from.
                let wanted = |impact: Impact| match self.op {
                    Op::Eq => impact.as_str().eq_ignore_ascii_case(&value),
                    _ => impact
                        .as_str()
                        .to_ascii_lowercase()
                        .contains(&value.to_ascii_lowercase()),
                };
                let mut needles = vec![value.clone()];
                needles.extend(terms_with_impact(wanted).map(str::to_owned));
                Some(needles)
            }
            Field::Summary(_) => Some(vec![value]),
            Field::Chrom | Field::Pos | Field::Qual | Field::Column(_) | Field::SvSize => None,
        }
    }

    /// The condition as a numeric check of the raw INFO column
    /// ([`crate::formats::LineHint::require_info_number`]): `<`, `<=`, `>`,
    /// `>=` and `=` with a number, on an INFO key.
    pub fn info_number(&self) -> Option<(&str, NumberOp)> {
        let Field::Info(key) = &self.field else {
            return None;
        };
        self.number?;
        let op = match self.op {
            Op::Lt => NumberOp::Lt,
            Op::Le => NumberOp::Le,
            Op::Gt => NumberOp::Gt,
            Op::Ge => NumberOp::Ge,
            Op::Eq => NumberOp::Eq,
            _ => return None,
        };
        Some((key, op))
    }

    fn equals(&self, value: &str) -> bool {
        match (self.number, value.parse::<f64>()) {
            (Some(a), Ok(b)) => a == b,
            _ => value.eq_ignore_ascii_case(&self.value),
        }
    }

    /// The field a condition or sort names, for the page index key and CSV
    /// headers.
    pub fn wants_sample_values(&self) -> Option<Option<usize>> {
        match &self.field {
            Field::Format { sample, .. } => Some(*sample),
            _ => None,
        }
    }
}

/// `?sort=FIELD` (ascending) or `?sort=-FIELD` (descending).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortSpec {
    pub text: String,
    pub field: Field,
    pub descending: bool,
}

impl FieldSet<'_> {
    pub fn sort(&self, text: &str) -> Result<SortSpec, String> {
        let text = text.trim();
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let field = self.resolve(name).map_err(|e| e.to_string())?;
        Ok(SortSpec {
            text: text.to_owned(),
            field,
            descending,
        })
    }
}

/// A record's place in a sort: numbers before text, missing values last
/// (whichever the direction); bounded in size (text keeps its first bytes).
#[derive(Clone, Debug, PartialEq)]
pub enum SortKey {
    Number(f64),
    Text([u8; 16]),
    Missing,
}

impl SortKey {
    /// The key of `record` for `spec`: the smallest (ascending) or largest
    /// (descending) of the field's values.
    pub fn of(spec: &SortSpec, record: &RecordFields<'_>) -> Self {
        let values = record.values_of(&spec.field);
        let numbers: Vec<f64> = values
            .iter()
            .filter_map(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
            .collect();
        if !numbers.is_empty() {
            let pick = if spec.descending {
                numbers.iter().copied().fold(f64::MIN, f64::max)
            } else {
                numbers.iter().copied().fold(f64::MAX, f64::min)
            };
            return SortKey::Number(pick);
        }
        // Impacts sort by severity, not alphabetically.
        let ranked: Vec<String> = values
            .iter()
            .map(|v| match v.to_ascii_uppercase().as_str() {
                "HIGH" => "1".to_owned(),
                "MODERATE" => "2".to_owned(),
                "LOW" => "3".to_owned(),
                "MODIFIER" => "4".to_owned(),
                _ => v.to_lowercase(),
            })
            .collect();
        let pick = if spec.descending {
            ranked.iter().max()
        } else {
            ranked.iter().min()
        };
        match pick {
            None => SortKey::Missing,
            Some(text) => {
                let mut key = [0u8; 16];
                let bytes = text.as_bytes();
                let n = bytes.len().min(16);
                key[..n].copy_from_slice(&bytes[..n]);
                SortKey::Text(key)
            }
        }
    }

    /// Ascending order; `descending` reverses it but keeps missing values last.
    pub fn compare(&self, other: &Self, descending: bool) -> Ordering {
        let order = match (self, other) {
            (SortKey::Missing, SortKey::Missing) => return Ordering::Equal,
            (SortKey::Missing, _) => return Ordering::Greater,
            (_, SortKey::Missing) => return Ordering::Less,
            (SortKey::Number(a), SortKey::Number(b)) => a.total_cmp(b),
            (SortKey::Number(_), SortKey::Text(_)) => Ordering::Less,
            (SortKey::Text(_), SortKey::Number(_)) => Ordering::Greater,
            (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
        };
        if descending { order.reverse() } else { order }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::FieldDef;

    fn header() -> VcfHeaderFields {
        let def = |id: &str, kind: &str| FieldDef {
            id: id.to_owned(),
            number: "1".to_owned(),
            kind: kind.to_owned(),
            description: String::new(),
        };
        VcfHeaderFields {
            infos: vec![def("AF", "Float"), def("DP", "Integer"), def("DB", "Flag")],
            formats: vec![def("GT", "String"), def("DP", "Integer")],
            samples: vec!["NA12878".to_owned(), "mother.1".to_owned()],
        }
    }

    fn values() -> VcfValues {
        VcfValues {
            id: "rs1".to_owned(),
            reference: "A".to_owned(),
            alternate: "G,T".to_owned(),
            quality: "50".to_owned(),
            filter: "PASS".to_owned(),
            info: "AF=0.005,0.3;DP=12;DB".to_owned(),
            format: "GT:DP".to_owned(),
            samples: vec![(0, "0/1:25".to_owned()), (1, "0/0:8".to_owned())],
        }
    }

    fn holds(text: &str) -> bool {
        let header = header();
        let set = FieldSet {
            header: Some(&header),
            annotations: None,
            columns: &[],
        };
        let conditions = set.conditions(text).expect(text);
        let values = values();
        let record = RecordFields {
            chrom: "chr1",
            pos: 100,
            values: Some(&values),
            annotations: &[],
            cells: &[],
            sv: None,
        };
        conditions.iter().all(|c| c.holds(&record))
    }

    #[test]
    fn conditions_compare_numbers_and_any_value_of_a_list_counts() {
        assert!(holds("AF<0.01"));
        assert!(holds("AF>0.2"));
        assert!(!holds("AF>0.5"));
        assert!(holds("DP>=12; QUAL>40; FILTER=PASS"));
        assert!(!holds("DP>=12; QUAL>60"));
        assert!(holds("DB"));
        assert!(!holds("!DB"));
        assert!(holds("NA12878.DP>=20"));
        assert!(!holds("mother.1.DP>=20"));
        assert!(holds("FORMAT/DP>=20"));
        assert!(holds("ALT=t"));
        assert!(holds("ID~RS"));
        assert!(holds("CHROM=chr1; POS<=100"));
        assert!(holds("FILTER!=LowQual"));
    }

    #[test]
    fn bad_conditions_say_what_is_wrong() {
        let header = header();
        let set = FieldSet {
            header: Some(&header),
            annotations: None,
            columns: &[],
        };
        let e = set.conditions("AFF<0.01").unwrap_err();
        assert!(e.contains("AFF") && e.contains("INFO AF, DP, DB"), "{e}");
        let e = set.conditions("DP>high").unwrap_err();
        assert!(e.contains("not one"), "{e}");
        assert!(set.conditions("=3").is_err());
    }

    #[test]
    fn sort_keys_put_missing_values_last_either_way() {
        let a = SortKey::Number(1.0);
        let b = SortKey::Number(2.0);
        assert_eq!(a.compare(&b, false), Ordering::Less);
        assert_eq!(a.compare(&b, true), Ordering::Greater);
        assert_eq!(SortKey::Missing.compare(&a, false), Ordering::Greater);
        assert_eq!(SortKey::Missing.compare(&a, true), Ordering::Greater);
    }
}
