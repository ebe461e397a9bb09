//! Static assets, compiled into the binary so the service runs from anywhere.
//! igv.js (1.5 MB, vendored by scripts/vendor-igvjs.sh) is compiled in too:
//! one self-contained binary, and no page ever loads it from a CDN.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

const ASSETS: &[(&str, &str, &str)] = &[
    (
        "igv-relay.css",
        "text/css; charset=utf-8",
        include_str!("../../../../static/igv-relay.css"),
    ),
    (
        "pages.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/pages.js"),
    ),
    // The sign of a click on a relay link and the notice after a failed one.
    (
        "click.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/click.js"),
    ),
    (
        "viewer.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/viewer.js"),
    ),
    (
        "vendor/igv/igv.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/vendor/igv/igv.min.js"),
    ),
    (
        "vendor/igv/LICENSE",
        "text/plain; charset=utf-8",
        include_str!("../../../../static/vendor/igv/LICENSE"),
    ),
    (
        "vendor/igv/VERSION",
        "text/plain; charset=utf-8",
        include_str!("../../../../static/vendor/igv/VERSION"),
    ),
    // The embed kit: other sites include it by this stable URL.
    (
        "igv-relay.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/igv-relay.js"),
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
