//! HTTP helpers the routes share: strict query parsing, a request's view of
//! a file, link pages and streamed exports, HTML responses, the headers
//! policy, the port cookie. Nothing here is a route, and nothing here knows
//! the application state.

pub mod export;
pub mod link_page;
pub mod page;
pub mod pager;
pub mod policy;
pub mod query;
pub mod reads;
pub mod view;

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use askama::Template;

use crate::error::AppError;

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

/// What a link page request produced: a page, or an export streaming from
/// a writer thread (chunks arrive as the file is read).
pub enum Outcome {
    Html(String),
    /// Somewhere else answers this (303 See Other).
    Redirect(String),
    Export {
        chunks: export::ExportChunks,
        content_type: &'static str,
        /// What the browser saves it as.
        file_name: String,
    },
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
