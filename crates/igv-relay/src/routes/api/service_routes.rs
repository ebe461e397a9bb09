//! The routes outside `/api` (relay, pages, link pages and exports, Galaxy,
//! embedding, health), described for the OpenAPI document. Their handlers
//! answer HTML, redirects or files rather than JSON, so they are described
//! here by hand: these functions are never called. `tests/openapi.rs` compares
//! the paths below with the routes `startup::configure_routes` registers, so a
//! new route cannot be left out.

#![allow(dead_code)]

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    paths(
        goto, load, start, start_post, settings, save_settings, healthz, readyz, metrics, asset, embed,
        galaxy_display, galaxy_dataset, galaxy_collection, roots, roots_no_slash, file_or_dir, raw
    ),
    tags(
        (name = "relay", description = "Validated IGV commands, answered with 303 See Other to the user's own IGV (http://127.0.0.1:<port>/…)"),
        (name = "pages", description = "HTML pages for people"),
        (name = "files", description = "Result files as link pages and exports, and their bytes for IGV"),
        (name = "galaxy", description = "Galaxy datasets as link pages"),
        (name = "service", description = "Health and metrics"),
    )
)]
pub struct ServiceRoutes;

/// Go to loci in the user's IGV.
///
/// 303 See Other to `http://127.0.0.1:<port>/goto?locus=…`. Gene names, gene
/// ids and transcript ids are resolved on the server through the genome's gene
/// annotation (`genomes.<id>.genes`), so IGV only ever receives loci; an
/// unknown or ambiguous name is a 400 page listing the closest genes as links.
#[utoipa::path(
    get,
    path = "/igv/goto",
    tag = "relay",
    params(
        ("locus" = String, Query, description = "`chr`, `chr:pos` or `chr:start-end` (1-based, thousands commas allowed), or a gene name/id with `genome`; several separated by spaces open side by side", example = "chr7:140,753,336-140,753,436"),
        ("genome" = Option<String>, Query, description = "Genome id (`GET /api/genomes`): chromosomes are checked, renamed and clamped, and names resolved"),
        ("port" = Option<u16>, Query, description = "The user's IGV port (else the `igv_port` cookie, else the configured one)"),
        ("landing" = Option<bool>, Query, description = "Answer a page that says what is sent, with the help, and a link that sends it (for links passed on by e-mail or a wiki), instead of the redirect"),
    ),
    responses(
        (status = 303, description = "To the user's IGV; `Location` is the IGV command URL"),
        (status = 200, description = "With `landing=1`: the landing page", content_type = "text/html"),
        (status = 400, description = "Invalid parameter (HTML, or JSON for `Accept: application/json`); nothing is sent to IGV"),
        (status = 405, description = "Any method but GET or HEAD"),
        (status = 429, description = "Over `limits.relay_requests_per_minute`"),
    )
)]
fn goto() {}

/// Load files into the user's IGV.
#[utoipa::path(
    get,
    path = "/igv/load",
    tag = "relay",
    params(
        ("file" = String, Query, description = "http(s) URLs on allowed hosts, separated by spaces"),
        ("index" = Option<String>, Query, description = "One index URL per file"),
        ("genome" = Option<String>, Query, description = "Genome id"),
        ("locus" = Option<String>, Query, description = "Loci to go to after loading"),
        ("name" = Option<String>, Query, description = "Track name"),
        ("format" = Option<String>, Query, description = "Track format (`vcf`, `bed`, `bam`, …)"),
        ("merge" = Option<bool>, Query, description = "Add to the session instead of replacing it"),
        ("port" = Option<u16>, Query, description = "The user's IGV port"),
        ("landing" = Option<bool>, Query, description = "Answer a landing page (what is sent, the help, a link that sends it) instead of the redirect"),
    ),
    responses(
        (status = 303, description = "To the user's IGV `/load`"),
        (status = 400, description = "Invalid parameter; nothing is sent to IGV"),
        (status = 405, description = "Any method but GET or HEAD"),
        (status = 429, description = "Over `limits.relay_requests_per_minute`"),
    )
)]
fn load() {}

/// The start page: paste loci, spreadsheet rows, BED/VCF lines or gene names.
#[utoipa::path(
    get,
    path = "/",
    tag = "pages",
    params(
        ("loci" = Option<String>, Query, description = "The paste, one entry per line"),
        ("genome" = Option<String>, Query, description = "Genome id"),
        ("coords" = Option<String>, Query, description = "`0` (default) or `1`: how `chr start end` columns without a header that says are read"),
    ),
    responses(
        (status = 200, description = "The page, one row per line with how it was read", content_type = "text/html"),
        (status = 400, description = "Unknown genome or bad `coords`"),
    )
)]
fn start() {}

/// The start page's form, for pastes too long for a link (up to 256 KiB).
#[utoipa::path(
    post,
    path = "/",
    tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`loci`, `genome`, `coords` as for GET"),
    responses(
        (status = 200, description = "The page, one row per line with how it was read", content_type = "text/html"),
        (status = 400, description = "Unknown genome, bad `coords`, or a form over 256 KiB"),
    )
)]
fn start_post() {}

/// The user's IGV port.
#[utoipa::path(get, path = "/settings", tag = "pages", responses((status = 200, description = "The settings page", content_type = "text/html")))]
fn settings() {}

/// Store the user's IGV port in the `igv_port` cookie.
#[utoipa::path(
    post,
    path = "/settings",
    tag = "pages",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`port=N` (1024-65535)"),
    responses(
        (status = 303, description = "Back to the settings page, cookie set"),
        (status = 400, description = "Not a port"),
        (status = 403, description = "Sent from another site"),
    )
)]
fn save_settings() {}

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "service", responses((status = 200, description = "The process answers")))]
fn healthz() {}

/// Readiness: configuration, genomes and data roots loaded.
#[utoipa::path(get, path = "/readyz", tag = "service", responses((status = 200, description = "Ready"), (status = 503, description = "Not ready")))]
fn readyz() {}

/// Prometheus metrics: on the port `metrics.bind` names, or on this one with
/// `Authorization: Bearer <metrics.token>`; not served when neither is set.
#[utoipa::path(get, path = "/metrics", tag = "service", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
fn metrics() {}

/// CSS, the pages' script and the embed kit `igv-relay.js`.
#[utoipa::path(
    get,
    path = "/static/{name}",
    tag = "pages",
    params(("name" = String, Path, description = "`igv-relay.css`, `igv-relay.js`, `pages.js`")),
    responses((status = 200, description = "The file"), (status = 404, description = "No such file"))
)]
fn asset() {}

/// Relay links for an `<iframe>` on another site.
#[utoipa::path(
    get,
    path = "/embed",
    tag = "pages",
    params(
        ("loci" = String, Query, description = "The paste, one entry per line (as on the start page)"),
        ("genome" = Option<String>, Query, description = "Genome id"),
        ("flank" = Option<u64>, Query, description = "Bases added on each side"),
        ("coords" = Option<String>, Query, description = "`0` (default) or `1`"),
    ),
    responses(
        (status = 200, description = "The page; `frame-ancestors` from `embed.allowed_origins`", content_type = "text/html"),
        (status = 400, description = "No locus, unknown genome"),
    )
)]
fn embed() {}

/// A Galaxy dataset as a link page, as Galaxy's display applications link it.
#[utoipa::path(
    get,
    path = "/galaxy/display",
    tag = "galaxy",
    params(
        ("dataset_url" = String, Query, description = "Galaxy's session-less data URL of the dataset (under `galaxy.url`)"),
        ("dbkey" = Option<String>, Query, description = "The dataset's dbkey"),
        ("ext" = Option<String>, Query, description = "The dataset's datatype"),
        ("name" = Option<String>, Query, description = "The dataset's name"),
    ),
    responses(
        (status = 200, description = "The link page (or a wait page while Galaxy is not done)", content_type = "text/html"),
        (status = 400, description = "Not a dataset URL of the configured Galaxy"),
        (status = 404, description = "Galaxy is not configured"),
        (status = 409, description = "The dataset is in error or deleted"),
        (status = 502, description = "Galaxy failed or sent something that is not the data"),
        (status = 504, description = "Galaxy did not answer in time"),
    )
)]
fn galaxy_display() {}

/// A Galaxy dataset by its encoded id (needs `galaxy.api_key`).
#[utoipa::path(
    get,
    path = "/galaxy/datasets/{id}",
    tag = "galaxy",
    params(
        ("id" = String, Path, description = "Galaxy's encoded dataset id"),
        ("reads" = Option<String>, Query, description = "A VCF's reads: ids of BAM/CRAM datasets among those it pairs with (space-separated), or `none`; without it, those whose read groups' SM name its samples"),
        ("collection" = Option<String>, Query, description = "Pair a VCF with this collection's BAM/CRAM datasets instead of its history's"),
    ),
    responses(
        (status = 200, description = "The link page", content_type = "text/html"),
        (status = 400, description = "A `reads` id that is not a readable alignment dataset among those looked at, or a malformed `collection` id"),
        (status = 404, description = "Galaxy or its API key is not configured"),
        (status = 502, description = "Galaxy failed"),
        (status = 504, description = "Galaxy did not answer in time"),
    )
)]
fn galaxy_dataset() {}

/// A Galaxy collection (`list`, `list:paired`, …) by its encoded id (needs
/// `galaxy.api_key`): a section per element, each dataset linked to its
/// page, or refused when Galaxy refuses the key that dataset.
#[utoipa::path(
    get,
    path = "/galaxy/collections/{id}",
    tag = "galaxy",
    params(("id" = String, Path, description = "Galaxy's encoded id of a history's collection")),
    responses(
        (status = 200, description = "The collection's page (JSON with Accept: application/json)", content_type = "text/html"),
        (status = 404, description = "Galaxy or its API key is not configured, or no such collection"),
        (status = 422, description = "More datasets than a page lists"),
        (status = 502, description = "Galaxy failed"),
        (status = 504, description = "Galaxy did not answer in time"),
    )
)]
fn galaxy_collection() {}

/// The data roots.
#[utoipa::path(get, path = "/files/", tag = "files", responses((status = 200, description = "The roots", content_type = "text/html")))]
fn roots() {}

/// The data roots (without the slash).
#[utoipa::path(get, path = "/files", tag = "files", responses((status = 200, description = "The roots", content_type = "text/html")))]
fn roots_no_slash() {}

/// A directory listing, or a result file's link page or export.
#[utoipa::path(
    get,
    path = "/files/{tail}",
    tag = "files",
    params(
        ("tail" = String, Path, description = "`root/path/to/file`"),
        ("format" = Option<String>, Query, description = "Export instead of the page: `tsv`, `json`, `igv-batch`, `igv-session` (IGV session XML), `igv3-session` (IGV 3 session JSON, needs a genome) or `igvjs-session`"),
        ("page" = Option<u64>, Query, description = "Page number"),
        ("per_page" = Option<u64>, Query, description = "Rows per page (100, at most 1,000)"),
        ("genome" = Option<String>, Query, description = "Genome id or Galaxy dbkey"),
        ("flank" = Option<u64>, Query, description = "Bases added on each side of every record"),
        ("chrom" = Option<String>, Query, description = "Only records on this chromosome"),
        ("q" = Option<String>, Query, description = "Only records containing this text"),
        ("pass" = Option<bool>, Query, description = "VCF: only PASS records"),
        ("coords" = Option<String>, Query, description = "Tabular: `0` or `1`-based starts"),
        ("chromCol" = Option<u32>, Query, description = "Tabular: chromosome column"),
        ("startCol" = Option<u32>, Query, description = "Tabular: start column"),
        ("endCol" = Option<u32>, Query, description = "Tabular: end column"),
    ),
    responses(
        (status = 200, description = "The listing, the link page or the export"),
        (status = 400, description = "Invalid parameter"),
        (status = 404, description = "No such root or file"),
        (status = 415, description = "Not a format igv-relay reads"),
        (status = 422, description = "The file cannot be read"),
    )
)]
fn file_or_dir() {}

/// A file's bytes, for IGV (Range and HEAD supported).
#[utoipa::path(
    get,
    path = "/raw/{tail}",
    tag = "files",
    params(("tail" = String, Path, description = "`root/path/to/file`")),
    responses(
        (status = 200, description = "The bytes"),
        (status = 206, description = "The requested range"),
        (status = 404, description = "No such file"),
    )
)]
fn raw() {}
