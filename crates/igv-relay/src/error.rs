//! Errors as types that map to responses: an HTML page for browsers, a stable
//! JSON body `{"error": code, "message": ...}` for `Accept: application/json`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use serde::Serialize;

use igv_relay_core::domain::request::RequestError;
use igv_relay_core::error::CoreError;
use igv_relay_core::formats::supported_formats;
use igv_relay_core::links::ServiceUrls;

/// Longest echo of a rejected value; the rest is cut so error pages stay small.
const MAX_ECHOED_CHARS: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{param}: {reason}")]
    InvalidParameter {
        param: &'static str,
        value: String,
        reason: String,
    },
    #[error("the parameter {0} is required")]
    MissingParameter(&'static str),
    #[error("the parameter {0} was given more than once")]
    DuplicateParameter(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    UnsupportedFormat {
        message: String,
        supported: Vec<(String, String)>,
    },
    #[error("{message}")]
    UnprocessableFile { message: String },
    #[error("{0}")]
    Forbidden(String),
    /// A bearer token was required (`/metrics` with `metrics.token`) and the
    /// request had none or another.
    #[error("{0}")]
    Unauthorized(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("the method {0} is not allowed here; IGV links only use GET")]
    MethodNotAllowed(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// An upstream server (Galaxy) failed or sent something that is not the data.
    #[error("{0}")]
    BadGateway(String),
    /// An upstream server (Galaxy) did not answer in time.
    #[error("{0}")]
    GatewayTimeout(String),
}

impl AppError {
    pub fn invalid(param: &'static str, value: &str, reason: impl ToString) -> Self {
        Self::InvalidParameter {
            param,
            value: value.to_owned(),
            reason: reason.to_string(),
        }
    }

    /// A file format the core does not read, with the list of those it does.
    pub fn unsupported_format(message: String) -> Self {
        Self::UnsupportedFormat {
            message,
            supported: supported_formats()
                .iter()
                .map(|(n, e)| ((*n).to_owned(), (*e).to_owned()))
                .collect(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidParameter { .. }
            | Self::MissingParameter(_)
            | Self::DuplicateParameter(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::UnsupportedFormat { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UnprocessableFile { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameter { .. } => "invalid_parameter",
            Self::MissingParameter(_) => "missing_parameter",
            Self::DuplicateParameter(_) => "duplicate_parameter",
            Self::NotFound(_) => "not_found",
            Self::Forbidden(_) => "forbidden",
            Self::Unauthorized(_) => "unauthorized",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::UnsupportedFormat { .. } => "unsupported_format",
            Self::UnprocessableFile { .. } => "unprocessable_file",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Internal(_) => "internal_error",
            Self::BadGateway(_) => "bad_gateway",
            Self::GatewayTimeout(_) => "gateway_timeout",
        }
    }

    /// What went wrong, in words, for the error page's heading.
    pub fn headline(&self) -> &'static str {
        match self {
            Self::InvalidParameter { param, .. } => match *param {
                "locus" | "loci" => "This locus cannot be shown",
                "genome" => "This genome is not known here",
                "file" | "index" | "name" => "This file cannot be loaded in IGV",
                "where" => "These conditions cannot be applied",
                "sort" => "This sort order cannot be applied",
                "cols" | "fmt" | "samples" => "These columns cannot be shown",
                "region" | "chrom" => "This region cannot be shown",
                "port" | "igv_port cookie" => "This IGV port cannot be used",
                "path" => "This path is not allowed",
                _ => "This request cannot be answered",
            },
            Self::MissingParameter(_) => "Something is missing from this link",
            Self::DuplicateParameter(_) => "This link says the same thing twice",
            Self::NotFound(_) => "Not found",
            Self::Forbidden(_) => "Not allowed",
            Self::Unauthorized(_) => "A token is needed",
            Self::TooManyRequests { .. } => "Too many requests",
            Self::UnsupportedFormat { .. } => "This file's format is not supported",
            Self::UnprocessableFile { .. } => "This file cannot be read",
            Self::MethodNotAllowed(_) => "Links to IGV only use GET",
            Self::Internal(_) => "Something went wrong on the server",
            Self::BadGateway(_) => "Galaxy did not give the data",
            Self::GatewayTimeout(_) => "Galaxy did not answer in time",
        }
    }

    /// Attaches the response format the client asked for.
    pub fn for_request(self, req: &HttpRequest) -> Rejection {
        Rejection {
            error: self,
            json: wants_json(req),
            base: base_path(req),
        }
    }
}

impl From<RequestError> for AppError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::Invalid {
                param,
                value,
                reason,
            } => AppError::InvalidParameter {
                param,
                value,
                reason,
            },
            RequestError::Missing(param) => AppError::MissingParameter(param),
            RequestError::Duplicate(name) => AppError::DuplicateParameter(name),
        }
    }
}

/// What the core could not do, as the client is told it.
impl From<CoreError> for AppError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Choice {
                param,
                value,
                reason,
            } => AppError::InvalidParameter {
                param,
                value,
                reason,
            },
            CoreError::UnsupportedFormat(message) => AppError::unsupported_format(message),
            CoreError::Unreadable(message) => AppError::UnprocessableFile { message },
            CoreError::NotFound(message) => AppError::NotFound(message),
        }
    }
}

/// Whether the client prefers JSON (`Accept: application/json`).
pub fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") && !accept.contains("text/html"))
}

/// The service's base URL for the error page's links: registered on its own
/// (not read from the application state), so errors depend on nothing above them.
fn base_path(req: &HttpRequest) -> String {
    req.app_data::<actix_web::web::Data<ServiceUrls>>()
        .map(|urls| urls.base().as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned())
}

/// An error on its way to one particular client.
#[derive(Debug)]
pub struct Rejection {
    error: AppError,
    json: bool,
    base: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    base: &'a str,
    title: String,
    headline: &'static str,
    /// The error is about a locus: the page explains how loci are written.
    locus_hint: bool,
    status: u16,
    message: String,
    parameter: Option<&'a str>,
    value: Option<String>,
    supported: &'a [(String, String)],
    /// Galaxy failed, rather than the request.
    upstream: bool,
}

fn echo(value: &str) -> String {
    let mut out: String = value.chars().take(MAX_ECHOED_CHARS).collect();
    if value.chars().count() > MAX_ECHOED_CHARS {
        out.push('…');
    }
    out
}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        self.error.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (parameter, value, message) = match &self.error {
            AppError::InvalidParameter {
                param,
                value,
                reason,
            } => (Some(*param), Some(echo(value)), reason.clone()),
            other => (None, None, other.to_string()),
        };
        if matches!(self.error, AppError::Internal(_)) {
            tracing::error!(error = %self.error, "request failed");
        }
        let upstream = matches!(
            self.error,
            AppError::BadGateway(_) | AppError::GatewayTimeout(_)
        );
        if upstream {
            tracing::warn!(error = %self.error, "upstream failed");
        }
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let AppError::TooManyRequests {
            retry_after_secs, ..
        } = self.error
        {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if let AppError::Unauthorized(_) = self.error {
            // RFC 6750 §3: the scheme the client has to use.
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"igv-relay metrics\""),
            ));
        }
        if let AppError::MethodNotAllowed(_) = self.error {
            response.insert_header((header::ALLOW, HeaderValue::from_static("GET, HEAD")));
        }
        if self.json {
            return response.json(ErrorBody {
                error: self.error.code(),
                message,
                parameter,
                value,
            });
        }
        let supported: &[(String, String)] = match &self.error {
            AppError::UnsupportedFormat { supported, .. } => supported,
            _ => &[],
        };
        let page = ErrorPage {
            base: &self.base,
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            headline: self.error.headline(),
            locus_hint: matches!(parameter, Some("locus" | "loci")),
            status: status.as_u16(),
            message,
            parameter,
            value,
            supported,
            upstream,
        };
        match page.render() {
            Ok(html) => response.content_type("text/html; charset=utf-8").body(html),
            Err(_) => response
                .content_type("text/plain; charset=utf-8")
                .body(self.error.to_string()),
        }
    }
}
