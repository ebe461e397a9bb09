//! `/api/*`: JSON for scripts and other services. `POST /api/links` turns
//! loci into relay links, `GET /api/genomes` lists the genomes loci are checked
//! against, `GET /api/openapi.json` describes both; the document is generated
//! from the handlers below (utoipa), so it cannot drift from them.

use actix_web::dev::HttpServiceFactory;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, get, post, web};
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::openapi::server::Server;
use utoipa::{OpenApi, ToSchema};
use utoipa_actix_web::{AppExt, OpenApiFactory};

use crate::error::AppError;
use crate::middleware::api_cors;
use crate::state::AppState;
use igv_relay_core::domain::genome::Genome;
use igv_relay_core::domain::igv::IgvCommand;
use igv_relay_core::domain::loci::Loci;
use igv_relay_core::domain::paste::{self, Convention, PasteOptions, PastedLine};

/// Most inputs one `POST /api/links` may carry.
pub const MAX_LINK_INPUTS: usize = 1000;

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 256 * 1024;

mod service_routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "igv-relay API",
        description = "Relay links that open loci in the user's own IGV desktop"
    ),
    tags((name = "links", description = "Relay links for loci"))
)]
struct ApiDoc;

/// The `/api` scope, wrapped in CORS. Used both to serve and to describe the API.
pub fn scope() -> impl HttpServiceFactory + OpenApiFactory {
    utoipa_actix_web::scope("/api")
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|err, _req| {
                    ApiError(AppError::invalid("body", "", err.to_string())).into()
                }),
        )
        .service(links)
        .service(genomes)
        .service(openapi_json)
        .default_service(web::to(not_found))
        .wrap(from_fn(api_cors))
}

/// `/api/openapi.json`, generated once at start-up from the handlers.
#[derive(Debug)]
pub struct OpenApiDocument(String);

impl OpenApiDocument {
    /// The OpenAPI document of [`scope`], with the public URL as its server so
    /// the paths resolve behind a path prefix too.
    pub fn generate(public_url: &Url) -> Result<Self, serde_json::Error> {
        let (_app, mut doc) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .service(scope())
            .split_for_parts();
        doc.merge(service_routes::ServiceRoutes::openapi());
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc.servers = Some(vec![Server::new(public_url.as_str().trim_end_matches('/'))]);
        doc.to_pretty_json().map(Self)
    }
}

/// Loci to turn into relay links.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinksRequest {
    /// Genome id (`GET /api/genomes`) to check the loci against; without it
    /// only the locus syntax is checked.
    #[schema(example = "hg38")]
    pub genome: Option<String>,
    /// One entry per link, each read like one pasted line: `chr:start-end`,
    /// `chr:pos` or `chr` (thousands commas allowed; several loci in one entry,
    /// space-separated, open side by side), optionally followed by a label;
    /// `chr start end [label]` columns (tabs or spaces), a BED or VCF line, or
    /// a gene name, gene id or transcript id for the genome's gene annotation.
    #[schema(example = json!(["chr7:140,753,336-140,753,436", "chr17\t7668401\t7687550\tTP53", "KRAS"]))]
    #[serde(default)]
    pub loci: Vec<String>,
    /// A whole paste instead of (or after) `loci`: read line by line, where a
    /// first line naming the chromosome, start and end columns (CSV or TSV)
    /// is a header for the rows after it. At most `paste.max_lines` lines are
    /// read; `left_out` says how many more there were.
    #[serde(default)]
    pub text: Option<String>,
    /// How `chr start end` columns are read when nothing says: `0` (BED-like,
    /// the default: `chr 100 200` is `chr:101-200`) or `1` (1-based, both ends
    /// included).
    #[serde(default)]
    #[schema(example = "0")]
    pub coords: Option<String>,
    /// Bases added on each side of every locus (clamped to the chromosome).
    #[serde(default)]
    pub flank: u64,
}

/// One result per input, in input order.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinksResponse {
    pub results: Vec<LinkResult>,
    /// Lines of `text` past `paste.max_lines`, not read.
    #[serde(skip_serializing_if = "is_zero")]
    pub left_out: usize,
    /// The convention used for `chr start end` columns without evidence:
    /// `0-based` or `1-based`.
    pub coords: &'static str,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Either `locus`, `relay_url` and `igv_url`, or `error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResult {
    /// The input, as given (a line of `text`, trimmed).
    pub input: String,
    /// For lines of `text`: the 1-based line number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// How the input was read and what it shows ("BED, 0-based: shown as
    /// chr7:140,753,337-140,753,436"), or why a line was skipped (a header, a
    /// comment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_as: Option<String>,
    /// Whether only `coords` decided the reading (`chr start end` with
    /// nothing saying which convention).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ambiguous: bool,
    /// A label that followed the locus on the line (a gene, a variant id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The locus IGV is sent to (canonical: no commas, genome's chromosome names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locus: Option<String>,
    /// The link for a page: a click on it (a plain top-level link, without
    /// `target` or with `target="_top"` in a frame) makes the relay validate
    /// it again and redirect to the user's IGV, which answers 204, so the
    /// page stays as it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_url: Option<String>,
    /// The same link to pass on (an e-mail, a wiki): it opens the relay's
    /// landing page, which says what it sends, shows the help for when IGV
    /// is not listening and sends on a click.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_url: Option<String>,
    /// The IGV command URL itself, for the configured default IGV port: with a
    /// genome, `/load?genome=…&file=&locus=…`, so IGV shows that genome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub igv_url: Option<String>,
    /// Why no link was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// For a name the genome's gene annotation does not know, or knows as
    /// several genes: the genes to pick from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<GeneChoiceResult>,
}

/// A gene offered for an unknown or ambiguous name.
#[derive(Debug, Serialize, ToSchema)]
pub struct GeneChoiceResult {
    /// The name and its gene or transcript id.
    pub label: String,
    /// Its locus (canonical), as IGV would receive it.
    pub locus: String,
    pub relay_url: String,
}

/// A genome loci can be checked against.
#[derive(Debug, Serialize, ToSchema)]
pub struct GenomeInfo {
    #[schema(example = "hg38")]
    pub id: String,
    /// What IGV is told to load for it.
    pub igv_genome: String,
    pub chromosome_count: usize,
    /// The first few chromosome names, to show the naming style.
    pub example_chromosomes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GenomesResponse {
    pub genomes: Vec<GenomeInfo>,
}

/// The body of every `/api` error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code such as `invalid_parameter`.
    pub error: String,
    pub message: String,
}

/// Turn loci into relay links.
///
/// Each input is checked on its own: invalid inputs get an `error`, the others
/// a `relay_url`. Only a malformed request (bad JSON, unknown genome, too many
/// inputs) fails as a whole.
#[utoipa::path(
    tag = "links",
    request_body = LinksRequest,
    responses(
        (status = OK, description = "One result per input", body = LinksResponse),
        (status = BAD_REQUEST, description = "Malformed request or unknown genome", body = ErrorBody),
    )
)]
#[post("/links")]
async fn links(
    state: web::Data<AppState>,
    body: web::Json<LinksRequest>,
) -> Result<web::Json<LinksResponse>, ApiError> {
    let request = body.into_inner();
    if request.loci.len() > MAX_LINK_INPUTS {
        return Err(ApiError(AppError::invalid(
            "loci",
            &format!("{} entries", request.loci.len()),
            format!("at most {MAX_LINK_INPUTS} loci per request"),
        )));
    }
    let genome = state
        .genomes
        .lookup(request.genome.as_deref())
        .map_err(|e| {
            ApiError(AppError::invalid(
                "genome",
                request.genome.as_deref().unwrap_or(""),
                e,
            ))
        })?;
    let convention = match request.coords.as_deref().map(str::trim) {
        None | Some("") => Convention::default(),
        Some(text) => Convention::parse(text).ok_or_else(|| {
            ApiError(AppError::invalid(
                "coords",
                text,
                "expected 0 (BED-like, 0-based starts) or 1",
            ))
        })?,
    };
    let mut results: Vec<LinkResult> = request
        .loci
        .iter()
        .map(|input| {
            let reading = paste::read_line(input, convention);
            result_for(&state, input, None, &reading, genome, request.flank)
        })
        .collect();
    let mut left_out = 0;
    if let Some(text) = &request.text {
        let read = paste::read(
            text,
            PasteOptions {
                max_lines: state.settings.paste.max_lines,
                convention,
            },
        );
        left_out = read.left_out;
        results.extend(read.lines.iter().map(
            |PastedLine {
                 number,
                 text,
                 reading,
             }| {
                result_for(&state, text, Some(*number), reading, genome, request.flank)
            },
        ));
    }
    Ok(web::Json(LinksResponse {
        results,
        left_out,
        coords: convention.label(),
    }))
}

/// List the genomes loci can be checked against.
#[utoipa::path(
    tag = "links",
    responses((status = OK, description = "Known genomes", body = GenomesResponse))
)]
#[get("/genomes")]
async fn genomes(state: web::Data<AppState>) -> web::Json<GenomesResponse> {
    let genomes = state
        .genomes
        .all()
        .map(|g| GenomeInfo {
            id: g.id().to_string(),
            igv_genome: g.igv_genome().to_owned(),
            chromosome_count: g.chromosomes().len(),
            example_chromosomes: g
                .chromosomes()
                .iter()
                .take(3)
                .map(|c| c.name.to_string())
                .collect(),
        })
        .collect();
    web::Json(GenomesResponse { genomes })
}

/// This document.
#[utoipa::path(responses((status = OK, description = "The OpenAPI 3.1 document")))]
#[get("/openapi.json")]
async fn openapi_json(document: web::Data<OpenApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.0.clone())
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound(format!(
        "no API endpoint {} {}; see api/openapi.json",
        req.method(),
        req.path()
    ))))
}

/// The result for one input or pasted line.
fn result_for(
    state: &AppState,
    input: &str,
    line: Option<usize>,
    reading: &paste::Reading,
    genome: Option<&Genome>,
    flank: u64,
) -> LinkResult {
    let skipped = matches!(reading, paste::Reading::Skipped { .. });
    let mut result = LinkResult {
        input: input.to_owned(),
        line,
        read_as: None,
        ambiguous: reading.is_ambiguous(),
        label: reading.label().map(str::to_owned),
        locus: None,
        relay_url: None,
        share_url: None,
        igv_url: None,
        error: None,
        choices: Vec::new(),
    };
    match reading.check(state.loci_rules, genome, flank) {
        Ok(checked) => {
            result.read_as = Some(checked.how);
            result.locus = Some(checked.loci.to_string());
            result.relay_url = Some(state.urls.goto_loci(&checked.loci, genome));
            result.share_url = Some(state.urls.share_loci(&checked.loci, genome));
            result.igv_url = Some(IgvCommand::jump(checked.loci, genome).to_url(&state.igv));
        }
        Err(why) if skipped => result.read_as = Some(why),
        Err(error) => {
            result.error = Some(error);
            result.choices = reading
                .gene_choices(genome)
                .into_iter()
                .map(|c| {
                    let loci = Loci::from_locus(c.locus);
                    GeneChoiceResult {
                        label: c.label,
                        locus: loci.to_string(),
                        relay_url: state.urls.goto_loci(&loci, genome),
                    }
                })
                .collect();
        }
    }
    result
}

/// An error of the JSON API: always a JSON body, whatever the `Accept` header.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .json(ErrorBody {
                error: self.0.code().to_owned(),
                message: self.0.to_string(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_are_json_with_a_stable_code() {
        let response = ApiError(AppError::MissingParameter("loci")).error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
    }
}
