//! The start page (paste loci, get relay links) and the settings page (which
//! port the user's IGV listens on).

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::{AppError, Rejection};
use crate::state::AppState;
use crate::web::{PORT_COOKIE, QueryParams, html};
use igv_relay_core::domain::igv::IgvPort;
use igv_relay_core::domain::paste::{self, Convention, PasteOptions};
use igv_relay_core::domain::request::Query;

pub struct LocusRow {
    pub number: usize,
    pub input: String,
    pub label: Option<String>,
    /// How the line was read ("BED, 0-based: shown as …"), or why it was skipped.
    pub how: Option<String>,
    pub locus: Option<String>,
    pub relay_url: Option<String>,
    pub error: Option<String>,
    /// A line that only the convention decides (`chr 100 200`).
    pub ambiguous: bool,
    /// For a name the gene annotation does not know (or knows several
    /// times): (label, locus, relay link) of the genes to pick from.
    pub choices: Vec<(String, String, String)>,
}

/// What the page says about the paste as a whole.
pub struct PasteNotice {
    /// Lines past `paste.max_lines`, not read.
    pub left_out: usize,
    pub max_lines: usize,
    /// Some lines were read with `convention` for lack of evidence.
    pub ambiguous: bool,
    pub convention: &'static str,
    pub other: &'static str,
    /// The same paste read with the other convention: a link while the paste
    /// fits in one, else a form (`other_param` is its `coords`).
    pub other_url: Option<String>,
    pub other_param: &'static str,
}

#[derive(Template)]
#[template(path = "index.html")]
struct StartPage<'a> {
    base: &'a str,
    loci_text: String,
    coords: &'static str,
    genome: String,
    genome_ids: Vec<&'a str>,
    /// Genomes with a gene annotation: gene names work only with these, so
    /// the placeholder offers `KRAS` only when there is one (issue 24).
    gene_genomes: Vec<&'a str>,
    rows: Vec<LocusRow>,
    notice: Option<PasteNotice>,
    roots: Vec<(String, String)>,
    settings_url: String,
}

/// Most bytes of a paste sent with the start page's form (POST): a few
/// thousand spreadsheet rows; a GET query is limited to 16 KiB.
pub const MAX_PASTE_BYTES: usize = 256 * 1024;

pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    QueryParams::parse(req.query_string())
        .and_then(|params| start_page(params.query(), &state))
        .map_err(|e| e.for_request(&req))
}

/// The start page's form: the same page, for pastes too long for a link.
pub async fn start_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, Rejection> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::invalid("loci", "", "the form is not UTF-8 text"));
    text.and_then(|text| Ok(Query::parse_form(text, MAX_PASTE_BYTES)?))
        .and_then(|query| start_page(&query, &state))
        .map_err(|e| e.for_request(&req))
}

fn start_page(params: &Query, state: &AppState) -> Result<HttpResponse, AppError> {
    let genome_id = params.non_empty("genome").unwrap_or("").to_owned();
    let genome = match genome_id.as_str() {
        "" => None,
        id => Some(
            state
                .genomes
                .get(id)
                .map_err(|e| AppError::invalid("genome", id, e))?,
        ),
    };
    let loci_text = params.get("loci").unwrap_or("").to_owned();
    let convention = match params.non_empty("coords") {
        None => Convention::default(),
        Some(text) => Convention::parse(text).ok_or_else(|| {
            AppError::invalid("coords", text, "expected 0 (BED-like, 0-based starts) or 1")
        })?,
    };
    let options = PasteOptions {
        max_lines: state.settings.paste.max_lines,
        convention,
    };
    let read = paste::read(&loci_text, options);
    let rows = read
        .lines
        .iter()
        .map(|line| {
            let checked = line.reading.check(state.loci_rules, genome, 0);
            let skipped = matches!(line.reading, paste::Reading::Skipped { .. });
            let (how, locus, relay_url, error) = match checked {
                Ok(c) => (
                    Some(c.how),
                    Some(c.loci.to_display_string()),
                    Some(state.urls.goto_loci(&c.loci, genome)),
                    None,
                ),
                Err(why) if skipped => (Some(why), None, None, None),
                Err(e) => (None, None, None, Some(e)),
            };
            LocusRow {
                number: line.number,
                input: line.text.clone(),
                label: line.reading.label().map(str::to_owned),
                how,
                locus,
                relay_url,
                error,
                ambiguous: line.reading.is_ambiguous(),
                choices: line
                    .reading
                    .gene_choices(genome)
                    .into_iter()
                    .map(|c| {
                        let loci = igv_relay_core::domain::loci::Loci::from_locus(c.locus);
                        (
                            c.label,
                            loci.to_display_string(),
                            state.urls.goto_loci(&loci, genome),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    let notice = (read.left_out > 0 || read.ambiguous).then(|| {
        let mut query = vec![
            ("loci", loci_text.as_str()),
            ("coords", convention.other().param()),
        ];
        if !genome_id.is_empty() {
            query.push(("genome", genome_id.as_str()));
        }
        PasteNotice {
            left_out: read.left_out,
            max_lines: options.max_lines,
            ambiguous: read.ambiguous,
            convention: convention.label(),
            other: convention.other().label(),
            other_url: Some(state.urls.url("", &query).to_string())
                .filter(|url| url.len() < igv_relay_core::domain::request::MAX_QUERY_BYTES),
            other_param: convention.other().param(),
        }
    });
    let roots = state
        .roots
        .names()
        .map(|name| {
            (
                name.to_owned(),
                state.urls.url(&format!("files/{name}/"), &[]).to_string(),
            )
        })
        .collect();
    let page = StartPage {
        base: state.urls.base().as_str(),
        loci_text,
        coords: convention.param(),
        genome: genome_id,
        genome_ids: state.genomes.ids(),
        gene_genomes: state
            .genomes
            .ids()
            .into_iter()
            .filter(|id| state.genomes.get(id).is_ok_and(|g| g.genes().is_some()))
            .collect(),
        rows,
        notice,
        roots,
        settings_url: state.urls.settings().to_string(),
    };
    html(page)
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage<'a> {
    base: &'a str,
    port: String,
    default_port: u16,
    saved: bool,
    from_cookie: bool,
}

pub async fn settings(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, Rejection> {
    let params = QueryParams::parse(req.query_string()).map_err(|e| e.for_request(&req))?;
    let cookie = req.cookie(PORT_COOKIE);
    let page = SettingsPage {
        base: state.urls.base().as_str(),
        port: cookie
            .as_ref()
            .map(|c| c.value().to_owned())
            .unwrap_or_else(|| state.igv.port().to_string()),
        default_port: state.igv.port().get(),
        saved: params.get("saved").is_some(),
        from_cookie: cookie.is_some(),
    };
    html(page).map_err(|e| e.for_request(&req))
}

#[derive(Deserialize)]
pub struct PortForm {
    port: String,
}

/// Stores the user's IGV port in a cookie; the relay reads it on every link.
pub async fn save_settings(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<PortForm>,
) -> Result<HttpResponse, Rejection> {
    // Another site must not be able to re-point a user's IGV links (SameSite=Lax
    // still sends cookies with top-level cross-site POSTs' responses).
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if fetch_site == Some("cross-site") {
        return Err(AppError::Forbidden(
            "the IGV port can only be changed from this service's own settings page".into(),
        )
        .for_request(&req));
    }
    let port = IgvPort::parse(&form.port)
        .map_err(|e| AppError::invalid("port", &form.port, e).for_request(&req))?;
    let cookie = Cookie::build(PORT_COOKIE, port.to_string())
        .path(state.urls.base().path().to_owned())
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(state.urls.base().scheme() == "https")
        .max_age(Duration::days(365))
        .finish();
    let back = state.urls.url("settings", &[("saved", "1")]);
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, back.as_str()))
        .finish())
}
