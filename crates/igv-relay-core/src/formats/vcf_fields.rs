//! What a VCF says about its fields, for pages that show, filter and sort by
//! them: the header's INFO and FORMAT definitions (with their descriptions)
//! and sample names, and one record's values as written.

use serde::Serialize;

/// One `##INFO` or `##FORMAT` definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDef {
    pub id: String,
    /// `1`, `A`, `R`, `G`, `.` or a count.
    pub number: String,
    /// `Integer`, `Float`, `Flag`, `Character`, `String`.
    pub kind: String,
    pub description: String,
}

impl FieldDef {
    pub fn is_numeric(&self) -> bool {
        matches!(self.kind.as_str(), "Integer" | "Float")
    }
}

/// The header's field definitions and every sample name, in header order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VcfHeaderFields {
    pub infos: Vec<FieldDef>,
    pub formats: Vec<FieldDef>,
    pub samples: Vec<String>,
}

impl VcfHeaderFields {
    pub fn info(&self, id: &str) -> Option<&FieldDef> {
        self.infos.iter().find(|f| f.id == id)
    }

    pub fn format(&self, id: &str) -> Option<&FieldDef> {
        self.formats.iter().find(|f| f.id == id)
    }

    /// The INFO ids, `, `-separated (for messages that list what a file has).
    pub fn info_ids(&self) -> String {
        join_ids(&self.infos)
    }

    /// The FORMAT ids, `, `-separated.
    pub fn format_ids(&self) -> String {
        join_ids(&self.formats)
    }

    pub fn sample_index(&self, name: &str) -> Option<usize> {
        self.samples.iter().position(|s| s == name)
    }
}

fn join_ids(fields: &[FieldDef]) -> String {
    fields
        .iter()
        .map(|f| f.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One record's columns as written (nothing parsed, nothing cut): what
/// filters, sorting and annotation parsing read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VcfValues {
    pub id: String,
    pub reference: String,
    pub alternate: String,
    /// `.` when missing.
    pub quality: String,
    pub filter: String,
    pub info: String,
    /// The FORMAT keys, `:`-separated.
    pub format: String,
    /// `(header sample index, the sample's column)` for the samples asked for.
    pub samples: Vec<(usize, String)>,
}

impl VcfValues {
    /// The raw value of INFO `key`: `None` if absent, `Some(None)` for a flag.
    pub fn info_value(&self, key: &str) -> Option<Option<&str>> {
        if self.info == "." {
            return None;
        }
        self.info
            .split(';')
            .find_map(|field| match field.split_once('=') {
                Some((k, v)) if k == key => Some(Some(v)),
                None if field == key => Some(None),
                _ => None,
            })
    }

    /// The value of FORMAT `key` for the sample with header index `sample`
    /// (`None` when the sample was not asked for or has no such key).
    pub fn sample_value(&self, sample: usize, key: &str) -> Option<&str> {
        let column = &self.samples.iter().find(|(i, _)| *i == sample)?.1;
        let at = self.format.split(':').position(|k| k == key)?;
        column.split(':').nth(at)
    }
}
