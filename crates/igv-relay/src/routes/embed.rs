//! `GET /embed?loci=…&genome=…&flank=…`: a minimal page of relay links for
//! an `<iframe>` on another site. Which sites may frame it is configuration
//! (`embed.allowed_origins` → CSP `frame-ancestors`); by default none may.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::error::AppError;
use crate::state::AppState;
use crate::web::QueryParams;
use igv_relay_core::domain::loci::Loci;
use igv_relay_core::domain::paste::{self, Convention, PasteOptions};

/// Most lines one embed page shows.
pub const MAX_EMBED_LINES: usize = 100;

pub struct EmbedRow {
    pub input: String,
    pub display: String,
    pub relay_url: Option<String>,
    pub error: Option<String>,
    /// For a gene name the annotation does not know (or knows as several
    /// genes): `(label, locus shown, relay link)` of the closest matches.
    pub choices: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedPage<'a> {
    base: &'a str,
    rows: Vec<EmbedRow>,
    /// Lines past the limit, not read.
    left_out: usize,
    error: Option<String>,
    settings_url: String,
    check_url: String,
}

pub async fn embed(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    // Errors are shown inside the frame (with the embed CSP) rather than as
    // the usual error page, which no site may frame.
    let (status, (rows, left_out), error) = match rows(&req, &state) {
        Ok(read) => (StatusCode::OK, read, None),
        Err(e) => (e.status(), (Vec::new(), 0), Some(e.to_string())),
    };
    let page = EmbedPage {
        base: state.urls.base().as_str(),
        rows,
        left_out,
        error,
        settings_url: state.urls.settings().to_string(),
        check_url: state.urls.check(None).to_string(),
    };
    let mut response = HttpResponse::build(status);
    response.insert_header((
        header::CONTENT_SECURITY_POLICY,
        state.web_policy.embed_csp(),
    ));
    match page.render() {
        Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the embed page");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("cannot render the page")
        }
    }
}

/// The page's rows (one per pasted line that is not a header or comment)
/// and how many lines were left out.
fn rows(req: &HttpRequest, state: &AppState) -> Result<(Vec<EmbedRow>, usize), AppError> {
    let params = QueryParams::parse(req.query_string())?;
    let genome_id = params.non_empty("genome");
    let genome = state
        .genomes
        .lookup(genome_id)
        .map_err(|e| AppError::invalid("genome", genome_id.unwrap_or(""), e))?;
    let flank = params.number("flank")?.unwrap_or(0);
    let convention = match params.non_empty("coords") {
        None => Convention::default(),
        Some(text) => Convention::parse(text).ok_or_else(|| {
            AppError::invalid("coords", text, "expected 0 (BED-like, 0-based starts) or 1")
        })?,
    };
    let text = params.required("loci")?;
    let read = paste::read(
        text,
        PasteOptions {
            max_lines: MAX_EMBED_LINES.min(state.settings.paste.max_lines),
            convention,
        },
    );
    let rows: Vec<EmbedRow> = read
        .lines
        .iter()
        .filter(|line| !matches!(line.reading, paste::Reading::Skipped { .. }))
        .map(
            |line| match line.reading.check(state.loci_rules, genome, flank) {
                Ok(checked) => EmbedRow {
                    input: line.text.clone(),
                    display: match line.reading.label() {
                        Some(label) => format!("{} · {label}", checked.loci.to_display_string()),
                        None => checked.loci.to_display_string(),
                    },
                    relay_url: Some(state.urls.goto_loci(&checked.loci, genome)),
                    error: None,
                    choices: Vec::new(),
                },
                Err(e) => EmbedRow {
                    input: line.text.clone(),
                    display: line.text.clone(),
                    relay_url: None,
                    error: Some(e.to_string()),
                    choices: line
                        .reading
                        .gene_choices(genome)
                        .into_iter()
                        .map(|c| {
                            let loci = Loci::from_locus(c.locus);
                            (
                                c.label,
                                loci.to_display_string(),
                                state.urls.goto_loci(&loci, genome),
                            )
                        })
                        .collect(),
                },
            },
        )
        .collect();
    if rows.is_empty() {
        return Err(AppError::invalid("loci", text, "no locus given"));
    }
    Ok((rows, read.left_out))
}
