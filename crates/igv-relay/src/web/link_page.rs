//! A result file's link page or export, the same for every source (data
//! roots, Galaxy): the request's view ([`ViewRequest`]), the core's page or
//! export of it, and the links only the served page has ([`PageLinks`]).

use std::sync::Arc;

use igv_relay_core::caches::ViewCaches;
use igv_relay_core::export::ExportPlan;
use igv_relay_core::formats::{Flanks, FormatKind};
use igv_relay_core::rows::stretches;
use igv_relay_core::served::served_page;
use igv_relay_core::view::presets::Preset;
use igv_relay_core::view::{ContextOwner, FileView, OpenInput, Source};
use url::Url;

use super::page::ServedPage;
use super::pager::{PageLinks, PresetChooser};
use super::reads::ReadsChoice;
use super::view::{ViewDefaults, ViewRequest};
use super::{Outcome, QueryParams, export, render};
use crate::error::AppError;

/// A result file as a route found it.
pub struct FileRequest<'a> {
    pub kind: FormatKind,
    pub source: Source,
    /// The page's URL, without a query.
    pub page_url: Url,
    /// Query pairs that name the file (a Galaxy dataset).
    pub fixed: Vec<(&'static str, String)>,
    /// The genome the view starts from ([`ViewDefaults`]).
    pub default_genome: Option<&'a str>,
    pub default_is_dbkey: bool,
    /// The page's "Reads" box (a VCF in a data root).
    pub reads: Option<ReadsChoice>,
    /// The lab presets offered for the file (`?view=`).
    pub presets: Vec<&'a Preset>,
}

/// The page or export `params` ask for, of `file`; `input` opens its bytes.
pub fn answer<C: ContextOwner>(
    owner: &Arc<C>,
    caches: &ViewCaches,
    flanks: Flanks,
    file: FileRequest<'_>,
    params: &QueryParams,
    input: OpenInput<'_>,
) -> Result<Outcome, AppError> {
    let ctx = owner.view_context();
    let fixed_keys: Vec<&'static str> = file.fixed.iter().map(|(k, _)| *k).collect();
    let request = ViewRequest::parse(
        params.query(),
        ctx.genomes,
        ViewDefaults {
            genome: file.default_genome,
            genome_is_dbkey: file.default_is_dbkey,
            flank: flanks.for_kind(file.kind),
            fixed_keys: &fixed_keys,
            presets: &file.presets,
        },
    )?;
    let mut view = FileView::new(ctx, file.kind, request.spec, file.source)?;
    if let Some(format) = request.export {
        let plan = ExportPlan::new(
            view,
            input()?,
            format,
            Some(&caches.sort_orders),
            stretches::threads(),
        )?;
        return Ok(export::start(owner.clone(), plan));
    }
    let links = PageLinks {
        urls: ctx.urls,
        page_url: &file.page_url,
        fixed: &file.fixed,
        sticky: &request.sticky,
    };
    let chooser = PresetChooser {
        offered: &file.presets,
        chosen: request.preset.as_deref(),
    };
    let mut page = served_page(&mut view, input, caches, &links)?;
    let templates = ctx.link_outs.templates(&page.model.genome);
    page.model.add_link_outs(&templates);
    if view.spec.choices.cols.is_none() && !request.show_blank {
        page.model.hide_blank_columns();
    }
    links.add_to(&mut page, &view.spec, view.kind.has_rows(), ctx.genomes);
    links.add_presets(&mut page, &chooser);
    let reads = file
        .reads
        .as_ref()
        .map(|choice| choice.panel(|query| links.with_reads(query.value())));
    render(ServedPage {
        base: ctx.urls.base().as_str(),
        model: &page.model,
        reads: reads.as_ref(),
    })
    .map(Outcome::Html)
}
