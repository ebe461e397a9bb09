//! Lab presets: named views from configuration (`views:`), each a set of
//! conditions, columns, samples and a sort, for some formats or data roots.
//! Checked when the service starts, as far as that is possible without a
//! file: the conditions' syntax and operators, the formats and roots named,
//! and the fields of formats whose columns are fixed (BED, GFF, GTF). INFO
//! keys, annotation fields and tabular columns exist per file: those are
//! checked on the page, like a `?where=` typed by hand.

use std::fmt;

use super::conditions;
use super::triage::{MAX_LISTED, TriageChoices};
use crate::formats::FormatKind;

/// A preset as configuration writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PresetDefinition {
    /// `?where=` conditions.
    pub where_text: Option<String>,
    /// `?cols=`: the VCF columns shown.
    pub columns: Option<Vec<String>>,
    /// `?samples=`: the VCF samples shown.
    pub samples: Vec<String>,
    /// `?sort=`.
    pub sort: Option<String>,
    /// Format keys ([`FormatKind::key`]) the preset is for; empty: any.
    pub formats: Vec<String>,
    /// Data roots the preset is for; empty: any.
    pub roots: Vec<String>,
}

/// One checked preset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preset {
    pub name: String,
    /// What the preset chooses (`fmt` stays empty).
    pub choices: TriageChoices,
    /// Empty: any format with rows.
    pub formats: Vec<FormatKind>,
    /// Empty: any source, Galaxy's included.
    pub roots: Vec<String>,
}

impl Preset {
    /// Whether the preset is offered for a file of `kind` in `root`
    /// (`None`: not a data root, e.g. a Galaxy dataset).
    pub fn applies_to(&self, kind: FormatKind, root: Option<&str>) -> bool {
        kind.has_rows()
            && (self.formats.is_empty() || self.formats.contains(&kind))
            && (self.roots.is_empty() || root.is_some_and(|r| self.roots.iter().any(|x| x == r)))
    }

    /// `explicit` (what the URL says) over the preset's choices: a key the
    /// URL gives, even empty, wins; `given(key)` says whether it does.
    pub fn under(&self, explicit: TriageChoices, given: impl Fn(&str) -> bool) -> TriageChoices {
        let mine = &self.choices;
        TriageChoices {
            cols: if explicit.cols.is_some() || given("cols") {
                explicit.cols
            } else {
                mine.cols.clone()
            },
            fmt: explicit.fmt,
            samples: if given("samples") {
                explicit.samples
            } else {
                mine.samples.clone()
            },
            where_text: if given("where") {
                explicit.where_text
            } else {
                mine.where_text.clone()
            },
            sort_text: if given("sort") {
                explicit.sort_text
            } else {
                mine.sort_text.clone()
            },
        }
    }
}

/// A preset that cannot work: its name, the part and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetError {
    pub preset: String,
    /// `where`, `sort`, `columns`, `samples`, `formats`, `roots`, or `name`.
    pub part: &'static str,
    pub why: String,
}

impl fmt::Display for PresetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "views.{}.{}: {}", self.preset, self.part, self.why)
    }
}

impl std::error::Error for PresetError {}

/// Every configured preset, in name order.
#[derive(Clone, Debug, Default)]
pub struct Presets {
    presets: Vec<Preset>,
}

impl Presets {
    /// Checks `definitions` against the formats and the data roots `roots`.
    pub fn new(
        definitions: &[(String, PresetDefinition)],
        roots: &[&str],
    ) -> Result<Self, PresetError> {
        let presets = definitions
            .iter()
            .map(|(name, def)| checked(name, def, roots))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { presets })
    }

    pub fn get(&self, name: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.name == name)
    }

    /// The presets offered for a file of `kind` in `root`.
    pub fn for_file(&self, kind: FormatKind, root: Option<&str>) -> Vec<&Preset> {
        self.presets
            .iter()
            .filter(|p| p.applies_to(kind, root))
            .collect()
    }
}

fn checked(name: &str, def: &PresetDefinition, roots: &[&str]) -> Result<Preset, PresetError> {
    let error = |part: &'static str, why: String| PresetError {
        preset: name.to_owned(),
        part,
        why,
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(error(
            "name",
            "a view's name is letters, digits, - _ and . (it goes in ?view=)".to_owned(),
        ));
    }
    let formats = def
        .formats
        .iter()
        .map(|key| match FormatKind::from_key(key) {
            Some(kind) if kind.has_rows() => Ok(kind),
            Some(_) => Err(error("formats", format!("{key:?} has no rows to filter"))),
            None => Err(error(
                "formats",
                format!(
                    "unknown format {key:?}; the formats are {}",
                    row_format_keys().join(", ")
                ),
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    for root in &def.roots {
        if !roots.contains(&root.as_str()) {
            return Err(error(
                "roots",
                format!(
                    "unknown data root {root:?}; the roots are {}",
                    roots.join(", ")
                ),
            ));
        }
    }
    let mut fields = Vec::new();
    if let Some(text) = &def.where_text {
        fields = conditions::written_fields(text).map_err(|e| error("where", e))?;
    }
    let mut sort_fields = Vec::new();
    if let Some(text) = &def.sort {
        let field = conditions::sort_field(text);
        if field.is_empty() || field.contains(char::is_whitespace) {
            return Err(error(
                "sort",
                format!("{text:?} is not one field (write FIELD, or -FIELD for largest first)"),
            ));
        }
        sort_fields.push(field.to_owned());
    }
    let vcf_only = def.columns.is_some() || !def.samples.is_empty();
    if vcf_only && formats.iter().any(|k| *k != FormatKind::Vcf) {
        let part = if def.columns.is_some() {
            "columns"
        } else {
            "samples"
        };
        return Err(error(
            part,
            "columns and samples are chosen for VCF files only: set formats: [vcf]".to_owned(),
        ));
    }
    for (part, names) in [("where", &fields), ("sort", &sort_fields)] {
        for kind in &formats {
            fixed_field(*kind, names).map_err(|why| error(part, why))?;
        }
    }
    for (part, list) in [
        ("columns", def.columns.as_deref().unwrap_or(&[])),
        ("samples", &def.samples[..]),
    ] {
        if list.len() > MAX_LISTED {
            return Err(error(part, format!("at most {MAX_LISTED} names")));
        }
    }
    Ok(Preset {
        name: name.to_owned(),
        choices: TriageChoices {
            cols: def.columns.clone(),
            fmt: Vec::new(),
            samples: def.samples.clone(),
            where_text: def.where_text.clone(),
            sort_text: def.sort.clone(),
        },
        formats,
        roots: def.roots.clone(),
    })
}

/// Each of `names` is a column of `kind`, when its columns are fixed.
fn fixed_field(kind: FormatKind, names: &[String]) -> Result<(), String> {
    let Some(columns) = kind.fixed_columns() else {
        return Ok(());
    };
    match names
        .iter()
        .find(|n| !columns.iter().any(|c| c.eq_ignore_ascii_case(n)))
    {
        Some(name) => Err(format!(
            "{} files have no column {name:?}; they have {}",
            kind.name(),
            columns.join(", ")
        )),
        None => Ok(()),
    }
}

fn row_format_keys() -> Vec<&'static str> {
    FormatKind::ALL
        .iter()
        .filter(|k| k.has_rows())
        .map(FormatKind::key)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(where_text: &str) -> PresetDefinition {
        PresetDefinition {
            where_text: Some(where_text.to_owned()),
            ..PresetDefinition::default()
        }
    }

    #[test]
    fn an_unknown_operator_names_the_preset_and_the_condition() {
        let err = Presets::new(&[("rare".into(), def("AF=<0.01"))], &[]).unwrap_err();
        assert_eq!(err.preset, "rare");
        assert_eq!(err.part, "where");
        assert!(err.why.contains("unknown operator \"=<\""), "{err}");
        let err = Presets::new(&[("x".into(), def("DP => 20"))], &[]).unwrap_err();
        assert!(err.why.contains("unknown operator \"=>\""), "{err}");
        let err = Presets::new(&[("x".into(), def("DP 20"))], &[]).unwrap_err();
        assert!(err.why.contains("no operator"), "{err}");
        let err = Presets::new(&[("x".into(), def("DP>=many"))], &[]).unwrap_err();
        assert!(err.why.contains("not one"), "{err}");
    }

    #[test]
    fn fields_are_checked_where_the_format_fixes_them() {
        let bed = |w: &str| PresetDefinition {
            formats: vec!["bed".into()],
            ..def(w)
        };
        assert!(Presets::new(&[("ok".into(), bed("score>=500; strand=+"))], &[]).is_ok());
        let err = Presets::new(&[("x".into(), bed("AF<0.1"))], &[]).unwrap_err();
        assert!(err.why.contains("no column \"AF\""), "{err}");
        // VCF INFO keys exist per file: only checked on the page.
        let vcf = PresetDefinition {
            formats: vec!["VCF".into()],
            ..def("AF<0.01; Impact=HIGH")
        };
        assert!(Presets::new(&[("ok".into(), vcf)], &[]).is_ok());
    }

    #[test]
    fn unknown_formats_and_roots_are_named() {
        let d = PresetDefinition {
            formats: vec!["vfc".into()],
            ..PresetDefinition::default()
        };
        let err = Presets::new(&[("x".into(), d)], &[]).unwrap_err();
        assert_eq!(err.part, "formats");
        assert!(err.why.contains("\"vfc\""), "{err}");
        let d = PresetDefinition {
            roots: vec!["nope".into()],
            ..PresetDefinition::default()
        };
        let err = Presets::new(&[("x".into(), d)], &["runs"]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("views.x.roots: unknown data root \"nope\"")
        );
    }

    #[test]
    fn the_url_wins_over_the_preset_even_when_empty() {
        let presets = Presets::new(
            &[(
                "rare".into(),
                PresetDefinition {
                    sort: Some("-QUAL".into()),
                    ..def("AF<0.01")
                },
            )],
            &[],
        )
        .unwrap();
        let preset = presets.get("rare").unwrap();
        let merged = preset.under(TriageChoices::default(), |k| k == "where");
        assert_eq!(merged.where_text, None);
        assert_eq!(merged.sort_text.as_deref(), Some("-QUAL"));
    }
}
