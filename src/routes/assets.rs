//! Static assets, compiled into the binary so the service runs from anywhere.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "igv-relay.css",
        "text/css; charset=utf-8",
        include_str!("../../static/igv-relay.css"),
    ),
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/pages.js"),
    ),
    // The embed kit: other sites include it by this stable URL.
    (
        "igv-relay.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/igv-relay.js"),
    ),
];

pub async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(n, _, _)| *n == name.as_str()) {
        Some((_, content_type, body)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ))
            .body(*body),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such asset"),
    }
}
