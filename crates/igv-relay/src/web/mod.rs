//! HTTP helpers the routes share: strict query parsing, HTML and streamed
//! responses, the headers policy, the port cookie. Nothing here is a route,
//! and nothing here knows the application state.

pub mod policy;
pub mod query;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use askama::Template;

use crate::error::AppError;
use crate::page::Outcome;

pub use query::QueryParams;

/// The cookie a user's settings page stores their IGV port in.
pub const PORT_COOKIE: &str = "igv_port";

/// A rendered askama page as text.
pub fn render<T: Template>(page: T) -> Result<String, AppError> {
    page.render().map_err(|e| AppError::Internal(e.to_string()))
}

/// A rendered askama page as a `200 text/html` response.
pub fn html<T: Template>(page: T) -> Result<HttpResponse, AppError> {
    Ok(html_response(render(page)?))
}

fn html_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A link page or an export as a response: exports stream their chunks as
/// the page model's writer produces them, as an attachment.
pub fn respond(outcome: Outcome) -> HttpResponse {
    match outcome {
        Outcome::Html(body) => html_response(body),
        Outcome::Redirect(location) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish(),
        Outcome::Export {
            chunks,
            content_type,
            file_name,
        } => {
            let body = futures_util::stream::unfold(chunks, |mut chunks| async move {
                chunks.recv().await.map(|chunk| (chunk, chunks))
            });
            HttpResponse::Ok()
                .content_type(content_type)
                .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
                .insert_header(header::ContentDisposition {
                    disposition: header::DispositionType::Attachment,
                    parameters: vec![header::DispositionParam::Filename(file_name)],
                })
                .streaming(body)
        }
    }
}
