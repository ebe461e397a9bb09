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

use crate::domain::genome::Genome;
use crate::domain::igv::IgvCommand;
use crate::domain::loci::Loci;
use crate::error::AppError;
use crate::middleware::api_cors;
use crate::state::AppState;

/// Most inputs one `POST /api/links` may carry.
pub const MAX_LINK_INPUTS: usize = 1000;

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 256 * 1024;

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
    /// One entry per link: `chr:start-end`, `chr:pos` or `chr`, thousands
    /// commas allowed; several loci in one entry (space-separated) open side by side.
    #[schema(example = json!(["chr7:140,753,336-140,753,436", "chr17:7668402"]))]
    pub loci: Vec<String>,
    /// Bases added on each side of every locus (clamped to the chromosome).
    #[serde(default)]
    pub flank: u64,
}

/// One result per input, in input order.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinksResponse {
    pub results: Vec<LinkResult>,
}

/// Either `locus`, `relay_url` and `igv_url`, or `error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResult {
    /// The input, as given.
    pub input: String,
    /// The locus IGV is sent to (canonical: no commas, genome's chromosome names).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locus: Option<String>,
    /// The link to give users: it opens the relay's landing page (which
    /// shows help when IGV is not listening); the relay validates it again
    /// and redirects to their IGV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relay_url: Option<String>,
    /// The IGV command URL itself, for the configured default IGV port: with a
    /// genome, `/load?genome=…&file=&locus=…`, so IGV shows that genome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub igv_url: Option<String>,
    /// Why no link was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    let results = request
        .loci
        .iter()
        .map(|input| link_for(&state, input, genome, request.flank))
        .collect();
    Ok(web::Json(LinksResponse { results }))
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

/// The relay link for one input (one or several space-separated loci).
pub fn link_for(state: &AppState, input: &str, genome: Option<&Genome>, flank: u64) -> LinkResult {
    match Loci::parse_with_flank(input.trim(), state.loci_rules, genome, flank) {
        Ok(loci) => LinkResult {
            input: input.to_owned(),
            locus: Some(loci.to_string()),
            relay_url: Some(state.urls.goto_loci(&loci, genome)),
            igv_url: Some(IgvCommand::jump(loci, genome).to_url(&state.igv)),
            error: None,
        },
        Err(error) => LinkResult {
            input: input.to_owned(),
            locus: None,
            relay_url: None,
            igv_url: None,
            error: Some(error.to_string()),
        },
    }
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
