//! A link page's query string as the core's view description
//! ([`ViewSpec`]): each parameter checked, naming it when it is wrong, and
//! the pairs that carry the view to its other pages and exports.

use igv_relay_core::domain::assembly::DefaultKind;
use igv_relay_core::domain::genome::GenomeId;
use igv_relay_core::domain::locus::Locus;
use igv_relay_core::domain::request::Query;
use igv_relay_core::formats::{CoordBase, Interval};
use igv_relay_core::genomes::GenomeRegistry;
use igv_relay_core::rows::Filters;
use igv_relay_core::sinks::ExportFormat;
use igv_relay_core::view::presets::Preset;
use igv_relay_core::view::triage::{MAX_LISTED, PICKER_PREFIX};
use igv_relay_core::view::{
    DEFAULT_PER_PAGE, GenomeWish, Layout, MAX_PER_PAGE, Paging, TriageChoices, ViewSpec,
};

use crate::error::AppError;

/// The query keys that carry a view from one page (or export) to the next.
const STICKY_KEYS: [&str; 11] = [
    "genome", "flank", "chrom", "q", "pass", "coords", "chromCol", "startCol", "endCol", "region",
    "reads",
];

/// What a request asks to see of a file: the view, and the query pairs
/// that carry it to the view's other pages and exports.
pub struct ViewRequest {
    pub spec: ViewSpec,
    pub sticky: Vec<(&'static str, String)>,
    /// `?format=`: an export instead of the page.
    pub export: Option<ExportFormat>,
    /// `?blank=1`: keep the columns no row of the page has a value in.
    pub show_blank: bool,
    /// `?view=`: the lab preset the view starts from.
    pub preset: Option<String>,
}

/// The defaults a request's view starts from.
pub struct ViewDefaults<'a> {
    /// A data root's genome, or a Galaxy dbkey's; `?genome=` replaces it.
    pub genome: Option<&'a str>,
    /// Whether that default is a Galaxy dbkey (what a page says when the
    /// file overrules it).
    pub genome_is_dbkey: bool,
    /// Bases added around each locus without `?flank=`.
    pub flank: u64,
    /// Query keys that name the file itself (a Galaxy dataset), carried on
    /// every link by the page already: not repeated among the view's.
    pub fixed_keys: &'a [&'static str],
    /// The lab presets offered for the file, which `?view=` may name.
    pub presets: &'a [&'a Preset],
}

impl ViewRequest {
    pub fn parse(
        query: &Query,
        genomes: &GenomeRegistry,
        defaults: ViewDefaults<'_>,
    ) -> Result<Self, AppError> {
        // In the order the parameters were always checked, so that a link
        // with several faults is told of the same one first.
        let export = export_format(query)?;
        let genome = genome_wish(query, genomes, &defaults)?;
        let flank = query.number("flank")?.unwrap_or(defaults.flank);
        let layout = layout(query)?;
        let filters = filters(query)?;
        let explicit = triage_choices(query)?;
        let preset = preset(query, defaults.presets)?;
        let mut sticky = choices_sticky(&explicit);
        let choices = match preset {
            None => explicit,
            Some(preset) => {
                sticky.push(("view", preset.name.clone()));
                // A key the URL gives empty (a cleared form field) stays
                // empty on the next pages, over the preset's.
                for key in ["where", "sort", "samples"] {
                    if query.get(key).is_some_and(|v| v.trim().is_empty()) {
                        sticky.push((key, String::new()));
                    }
                }
                preset.under(explicit, |key| query.get(key).is_some())
            }
        };
        let links_only = query.flag("links_only")?.unwrap_or(false);
        let show_blank = query.flag("blank")?.unwrap_or(false);
        // Exports have no pages: their paging is not looked at.
        let paging = match export {
            None => paging(query)?,
            Some(_) => Paging::default(),
        };
        if show_blank {
            sticky.push(("blank", "1".to_owned()));
        }
        for key in STICKY_KEYS {
            if defaults.fixed_keys.contains(&key) {
                continue;
            }
            if let Some(v) = query.non_empty(key) {
                sticky.push((key, v.to_owned()));
            }
        }
        let spec = ViewSpec {
            genome,
            flank,
            filters,
            choices,
            layout,
            links_only,
            paging,
        };
        Ok(Self {
            spec,
            sticky,
            export,
            show_blank,
            preset: preset.map(|p| p.name.clone()),
        })
    }
}

/// `?view=NAME`: one of the lab presets offered for the file.
fn preset<'p>(query: &Query, offered: &[&'p Preset]) -> Result<Option<&'p Preset>, AppError> {
    let Some(name) = query.non_empty("view") else {
        return Ok(None);
    };
    match offered.iter().find(|p| p.name == name) {
        Some(preset) => Ok(Some(*preset)),
        None if offered.is_empty() => Err(AppError::invalid(
            "view",
            name,
            "no lab view is configured for this file",
        )),
        None => Err(AppError::invalid(
            "view",
            name,
            format!(
                "no such lab view for this file; its views are {}",
                offered
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// `?genome=` (a genome id or a Galaxy dbkey; it always wins), else the
/// default, which the file may overrule.
fn genome_wish(
    query: &Query,
    genomes: &GenomeRegistry,
    defaults: &ViewDefaults<'_>,
) -> Result<GenomeWish, AppError> {
    let lookup = |id: &str| -> Result<GenomeId, AppError> {
        genomes
            .get(id)
            .or_else(|e| genomes.for_dbkey(id).ok_or(e))
            .map(|g| g.id().clone())
            .map_err(|e| AppError::invalid("genome", id, e))
    };
    let explicit = query.non_empty("genome").map(lookup).transpose()?;
    let kind = if defaults.genome_is_dbkey {
        DefaultKind::GalaxyDbkey
    } else {
        DefaultKind::Root
    };
    let default = match defaults.genome {
        Some(id) if explicit.is_none() => Some((lookup(id)?, kind)),
        _ => None,
    };
    Ok(GenomeWish { explicit, default })
}

/// `?chrom=`, `?q=`, `?pass=`, `?region=`.
fn filters(query: &Query) -> Result<Filters, AppError> {
    Ok(Filters {
        chrom: query.non_empty("chrom").map(str::to_owned),
        query: query.non_empty("q").map(str::to_owned),
        pass_only: query.flag("pass")?.unwrap_or(false),
        region: query.non_empty("region").map(region).transpose()?,
    })
}

/// `?region=chr7:140000000-141000000`: the records overlapping it.
fn region(text: &str) -> Result<Interval, AppError> {
    let locus = Locus::parse(text).map_err(|e| AppError::invalid("region", text, e))?;
    let (start, end) = locus
        .bounds()
        .ok_or_else(|| AppError::invalid("region", text, "expected chr:start-end"))?;
    Ok(Interval::new(locus.chrom().as_str(), start, end))
}

/// `?coords=0|1&chromCol=&startCol=&endCol=` (tabular files).
fn layout(query: &Query) -> Result<Layout, AppError> {
    let coords = match query.non_empty("coords") {
        None => None,
        Some("0") => Some(CoordBase::Zero),
        Some("1") => Some(CoordBase::One),
        Some(other) => {
            return Err(AppError::invalid(
                "coords",
                other,
                "expected 0 (BED-like) or 1",
            ));
        }
    };
    let column = |key: &'static str| -> Result<Option<usize>, AppError> {
        match query.number(key)? {
            Some(0) => Err(AppError::invalid(key, "0", "column numbers start at 1")),
            Some(n) => Ok(Some(n as usize)),
            None => Ok(None),
        }
    };
    Ok(Layout {
        coords,
        chrom_col: column("chromCol")?,
        start_col: column("startCol")?,
        end_col: column("endCol")?,
    })
}

/// `?page=` (from 1) and `?per_page=` (1 to [`MAX_PER_PAGE`]).
fn paging(query: &Query) -> Result<Paging, AppError> {
    let page = query.number("page")?.unwrap_or(1).max(1);
    let per_page = match query.number("per_page")? {
        None => DEFAULT_PER_PAGE,
        Some(n) if (1..=MAX_PER_PAGE as u64).contains(&n) => n as usize,
        Some(n) => {
            return Err(AppError::invalid(
                "per_page",
                &n.to_string(),
                format!("expected 1 to {MAX_PER_PAGE}"),
            ));
        }
    };
    Ok(Paging { page, per_page })
}

/// `?format=`: `None` (or `html`) is the page itself.
pub fn export_format(query: &Query) -> Result<Option<ExportFormat>, AppError> {
    match query.non_empty("format") {
        None | Some("html") => Ok(None),
        Some(name) => ExportFormat::named(name).map(Some).ok_or_else(|| {
            AppError::invalid(
                "format",
                name,
                "expected html, tsv, json, igv-batch, igv-session, igv3-session or igvjs-session",
            )
        }),
    }
}

/// `?cols=` (or the column picker's `c.NAME` boxes), `?fmt=`, `?samples=`,
/// `?where=`, `?sort=`.
fn triage_choices(query: &Query) -> Result<TriageChoices, AppError> {
    let picked: Vec<String> = query
        .pairs()
        .filter_map(|(k, _)| k.strip_prefix(PICKER_PREFIX))
        .map(str::to_owned)
        .collect();
    let cols = if query.flag("cols_form")?.unwrap_or(false) {
        Some(picked)
    } else if query.get("cols").is_some() {
        Some(list(query, "cols")?)
    } else {
        None
    };
    Ok(TriageChoices {
        cols,
        fmt: list(query, "fmt")?,
        samples: list(query, "samples")?,
        where_text: query.non_empty("where").map(str::to_owned),
        sort_text: query.non_empty("sort").map(str::to_owned),
    })
}

fn list(query: &Query, key: &'static str) -> Result<Vec<String>, AppError> {
    let Some(text) = query.non_empty(key) else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if names.len() > MAX_LISTED {
        return Err(AppError::invalid(
            key,
            text,
            format!("at most {MAX_LISTED} names"),
        ));
    }
    Ok(names)
}

/// The query pairs that carry the triage choices to other pages and exports.
fn choices_sticky(choices: &TriageChoices) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(cols) = &choices.cols {
        out.push(("cols", cols.join(",")));
    }
    for (key, names) in [("fmt", &choices.fmt), ("samples", &choices.samples)] {
        if !names.is_empty() {
            out.push((key, names.join(",")));
        }
    }
    if let Some(text) = &choices.where_text {
        out.push(("where", text.clone()));
    }
    if let Some(text) = &choices.sort_text {
        out.push(("sort", text.clone()));
    }
    out
}
