//! The links of a served link page that need the page's own URL: the
//! pager, the exports, "Open all in IGV", the filter form, the genome fix,
//! and the overview's filter strips. Built with `url`'s query serializer
//! from the page's URL, the pairs naming its file (a Galaxy dataset) and the
//! pairs carrying its view.

use igv_relay_core::genomes::GenomeRegistry;
use igv_relay_core::links::{LoadLink, ServiceUrls};
use igv_relay_core::served::ServedPage;
use igv_relay_core::sinks::ExportFormat;
use igv_relay_core::sinks::columns::{SortLink, SortMark, mark_of};
use igv_relay_core::sinks::overview::OverviewLinks;
use igv_relay_core::sinks::page::{FilterForm, PageModel, PresetLink};
use igv_relay_core::view::presets::Preset;
use igv_relay_core::view::{DEFAULT_PER_PAGE, Paging, ViewSpec};
use url::Url;

/// The query keys "clear filters" drops: what narrows or orders the rows.
/// The genome, flank, columns and samples stay.
const FILTER_KEYS: [&str; 7] = ["chrom", "q", "pass", "region", "where", "sort", "view"];

/// The keys a preset chosen from the chooser replaces: it starts from its
/// own conditions, columns and samples.
const PRESET_KEYS: [&str; 10] = [
    "view", "where", "sort", "cols", "samples", "fmt", "chrom", "q", "pass", "region",
];

/// The lab presets offered for a page, and the one it shows.
pub struct PresetChooser<'a> {
    pub offered: &'a [&'a Preset],
    pub chosen: Option<&'a str>,
}

/// A served page's URL and the query pairs of its view.
pub struct PageLinks<'a> {
    pub urls: &'a ServiceUrls,
    /// The page's URL, without a query (`.../files/demo/calls.vcf`).
    pub page_url: &'a Url,
    /// Query pairs that name the file (a Galaxy dataset URL); kept on
    /// every page, filter and export link, and in the form.
    pub fixed: &'a [(&'static str, String)],
    /// The view's own pairs ([`crate::web::view::ViewRequest::sticky`]).
    pub sticky: &'a [(&'static str, String)],
}

impl PageLinks<'_> {
    /// The page's URL with `pairs`.
    fn with(&self, pairs: &[(&str, String)]) -> String {
        let mut url = self.page_url.clone();
        if !pairs.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        }
        url.to_string()
    }

    /// The file's and the view's pairs.
    fn view_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = self.fixed.to_vec();
        pairs.extend(self.sticky.iter().cloned());
        pairs
    }

    /// Adds the page's links to `page`'s model.
    pub fn add_to(
        &self,
        page: &mut ServedPage,
        spec: &ViewSpec,
        has_rows: bool,
        genomes: &GenomeRegistry,
    ) {
        let model = &mut page.model;
        self.pager(model, spec.paging, page.has_next);
        if let Some(fix) = &mut model.genome_fix {
            let mut pairs: Vec<(&str, String)> = self
                .view_pairs()
                .into_iter()
                .filter(|(k, _)| *k != "genome")
                .collect();
            pairs.push(("genome", fix.genome.clone()));
            fix.url = Some(self.with(&pairs));
        }
        if has_rows {
            self.exports(model);
        }
        self.sort_links(model, spec);
        model.show_hidden_url = (!model.hidden_columns.is_empty())
            .then(|| self.filtered(&[("blank", "1".to_owned())], &["blank"]));
        let mut form = self.form(page.picker.take(), spec, genomes);
        form.active = self
            .sticky
            .iter()
            .filter(|(k, _)| FILTER_KEYS.contains(k))
            .count();
        form.clear_url = (form.active > 0).then(|| self.filtered(&[], &FILTER_KEYS));
        model.form = Some(form);
    }

    /// The preset chooser of the filter bar, and the chosen preset kept by
    /// the filter form.
    pub fn add_presets(&self, page: &mut ServedPage, chooser: &PresetChooser<'_>) {
        let Some(form) = page.model.form.as_mut() else {
            return;
        };
        if chooser.offered.is_empty() {
            return;
        }
        if let Some(name) = chooser.chosen {
            form.hidden.push(("view".to_owned(), name.to_owned()));
            form.presets.push(PresetLink {
                name: "none".to_owned(),
                url: self.filtered(&[], &PRESET_KEYS),
                chosen: false,
                title: "this file without a lab view".to_owned(),
            });
        }
        form.presets
            .extend(chooser.offered.iter().map(|preset| PresetLink {
                name: preset.name.clone(),
                url: self.filtered(&[("view", preset.name.clone())], &PRESET_KEYS),
                chosen: chooser.chosen == Some(preset.name.as_str()),
                title: describe(preset),
            }));
    }

    /// Each sortable head's link: this view sorted by the column, smallest
    /// first, or largest first when it is sorted smallest first already.
    /// Sorting starts again at page 1.
    fn sort_links(&self, model: &mut PageModel, spec: &ViewSpec) {
        let sorted = spec.choices.sort_text.as_deref();
        model.sort_links = model
            .sort_fields
            .iter()
            .map(|field| {
                let field = field.as_deref()?;
                let mark = mark_of(sorted, field);
                let sort = match mark {
                    SortMark::Ascending => format!("-{field}"),
                    _ => field.to_owned(),
                };
                let mut set = vec![("sort", sort)];
                if spec.paging.per_page != DEFAULT_PER_PAGE {
                    set.push(("per_page", spec.paging.per_page.to_string()));
                }
                Some(SortLink {
                    url: self.filtered(&set, &["sort"]),
                    mark,
                })
            })
            .collect();
    }

    /// Previous, next, first and last page.
    fn pager(&self, model: &mut PageModel, paging: Paging, has_next: bool) {
        let mut paged = self.view_pairs();
        if paging.per_page != DEFAULT_PER_PAGE {
            paged.push(("per_page", paging.per_page.to_string()));
        }
        let page_link = |n: u64| {
            let mut pairs = paged.clone();
            pairs.push(("page", n.to_string()));
            self.with(&pairs)
        };
        model.prev_url = (paging.page > 1).then(|| page_link(paging.page - 1));
        model.next_url = has_next.then(|| page_link(paging.page + 1));
        if let Some(totals) = &mut model.totals {
            totals.first_url = (paging.page > 1).then(|| page_link(1));
            totals.last_url =
                (totals.exact && totals.pages > paging.page).then(|| page_link(totals.pages));
        }
    }

    /// The exports of the same view, and "Open all in IGV".
    fn exports(&self, model: &mut PageModel) {
        let export_link = |format: ExportFormat| {
            let mut pairs = self.view_pairs();
            pairs.push(("format", format.as_str().to_owned()));
            Some(self.with(&pairs))
        };
        model.links.tsv = export_link(ExportFormat::Tsv);
        model.links.json = export_link(ExportFormat::Json);
        model.links.batch = export_link(ExportFormat::IgvBatch);
        // The `format` pair comes last, so the URL ends in `.xml`:
        // IGV (and IGV-Web) take a file ending so for a session.
        model.links.igv_session = export_link(ExportFormat::IgvSession);
        model.links.igvjs_session = export_link(ExportFormat::IgvJsSession);
        // IGV 3 refuses a JSON session without a genome.
        if !model.genome.is_empty() {
            model.links.igv3_session = export_link(ExportFormat::Igv3Session);
        }
        // "Open all in IGV" adds to what the user has in IGV (issue 24):
        // IGV 2.16 replaces the session whenever it loads a session file,
        // `merge=true` or not (tests/http/e2e), so it loads the file itself,
        // at the first record, with `merge=true`. "In a new session" loads
        // the session: genome, file, reads and the records as regions.
        model.links.open_all_new = model.links.igv_session.as_deref().map(|session| {
            self.urls
                .load(&LoadLink {
                    file: session,
                    merge: Some(false),
                    ..LoadLink::default()
                })
                .to_string()
        });
        let first_locus = model
            .rows
            .iter()
            .find(|r| r.error.is_none() && !r.data_locus.is_empty())
            .map(|r| r.data_locus.clone());
        let added = model.links.load.as_deref().and_then(|load| {
            let mut url = url::Url::parse(load).ok()?;
            {
                let mut pairs = url.query_pairs_mut();
                if let Some(locus) = &first_locus {
                    pairs.append_pair("locus", locus);
                }
                pairs.append_pair("merge", "true");
            }
            Some(url.to_string())
        });
        model.links.open_all_adds = added.is_some();
        model.links.open_all = added.or_else(|| model.links.open_all_new.take());
    }

    /// The filter form, as the view's choices fill it.
    fn form(
        &self,
        picker: Option<igv_relay_core::sinks::page::Picker>,
        spec: &ViewSpec,
        genomes: &GenomeRegistry,
    ) -> FilterForm {
        let filters = &spec.filters;
        FilterForm {
            action: self.page_url.to_string(),
            hidden: self
                .fixed
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            chrom: filters.chrom.clone().unwrap_or_default(),
            q: filters.query.clone().unwrap_or_default(),
            pass: filters.pass_only,
            genome_ids: genomes.ids().into_iter().map(str::to_owned).collect(),
            per_page: spec.paging.per_page,
            where_text: spec.choices.where_text.clone().unwrap_or_default(),
            sort_text: spec.choices.sort_text.clone().unwrap_or_default(),
            genome_choice: spec
                .genome
                .explicit
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            clear_url: None,
            active: 0,
            region: filters
                .region
                .as_ref()
                .map(|r| format!("{}:{}-{}", r.chrom, r.start, r.end))
                .unwrap_or_default(),
            picker,
            presets: Vec::new(),
        }
    }

    /// This view's page 1 with `reads` as its `?reads=` (`None`: none).
    pub fn with_reads(&self, reads: Option<String>) -> String {
        let set: Vec<(&'static str, String)> = reads.map(|r| ("reads", r)).into_iter().collect();
        self.filtered(&set, &["reads"])
    }

    /// This view's page 1 with `set` replacing the keys in `drop`.
    fn filtered(&self, set: &[(&'static str, String)], drop: &[&str]) -> String {
        let mut pairs = self.fixed.to_vec();
        pairs.extend(
            self.sticky
                .iter()
                .filter(|(k, _)| !drop.contains(k))
                .cloned(),
        );
        pairs.extend(set.iter().cloned());
        self.with(&pairs)
    }
}

/// A preset in words, for the chooser's hover text.
fn describe(preset: &Preset) -> String {
    let c = &preset.choices;
    let mut parts = Vec::new();
    if let Some(w) = &c.where_text {
        parts.push(format!("where {w}"));
    }
    if let Some(s) = &c.sort_text {
        parts.push(format!("sorted by {s}"));
    }
    if let Some(cols) = &c.cols {
        parts.push(format!("columns {}", cols.join(", ")));
    }
    if !c.samples.is_empty() {
        parts.push(format!("samples {}", c.samples.join(", ")));
    }
    parts.join("; ")
}

impl OverviewLinks for PageLinks<'_> {
    fn filter_region(&self, chrom: &str, start: u64, end: u64) -> String {
        self.filtered(
            &[("region", format!("{chrom}:{start}-{end}"))],
            &["region", "chrom"],
        )
    }

    fn filter_chrom(&self, chrom: &str) -> String {
        self.filtered(&[("chrom", chrom.to_owned())], &["region", "chrom"])
    }
}
