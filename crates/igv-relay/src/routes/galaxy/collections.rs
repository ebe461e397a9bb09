//! `GET /galaxy/collections/{id}`: a Galaxy dataset collection (`list`,
//! `list:paired`, …) as one page, a section per element, each dataset of it
//! linked to its own page (`/galaxy/datasets/{id}`) — or refused, when
//! Galaxy refuses the relay's API key that dataset (a shared collection may
//! hold a dataset its owner made private). Every dataset is asked for by
//! itself; nothing of a refused one is shown.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::join_all;
use serde::Serialize;

use super::upstream;
use crate::error::{AppError, Rejection, wants_json};
use crate::sources::galaxy::{
    DatasetId, GalaxyClient, MAX_COLLECTION_DATASETS, for_extension, refused,
};
use crate::state::AppState;
use crate::web::render;

/// One dataset of the collection, as the page and the JSON show it.
#[derive(Debug, Serialize)]
struct Member {
    /// The identifiers under the section's (`forward` in a pair); empty
    /// for a list's dataset.
    path: String,
    id: String,
    /// `ok`, `refused` (Galaxy refused the relay's key) or `error`.
    access: &'static str,
    name: String,
    extension: String,
    dbkey: String,
    state: String,
    /// The dataset's link page, when the relay reads its datatype.
    page_url: Option<String>,
    message: Option<String>,
    /// For a VCF: the collection's BAM/CRAM datasets whose read groups'
    /// SM name one of its samples (its page loads them with every row).
    reads: Vec<String>,
    /// A VCF's samples (Galaxy's metadata).
    #[serde(skip)]
    samples: Vec<String>,
}

#[derive(Debug, Serialize)]
struct Section {
    identifier: String,
    members: Vec<Member>,
}

#[derive(Template)]
#[template(path = "galaxy_collection.html")]
struct CollectionPage<'a> {
    base: &'a str,
    name: &'a str,
    collection_type: &'a str,
    galaxy_url: &'a str,
    sections: &'a [Section],
    readable: usize,
    refused: usize,
}

#[derive(Serialize)]
struct CollectionBody<'a> {
    id: &'a str,
    name: &'a str,
    collection_type: &'a str,
    sections: &'a [Section],
}

pub async fn collection(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, Rejection> {
    collection_page(&req, &state, &id)
        .await
        .map_err(|e| e.for_request(&req))
}

async fn collection_page(
    req: &HttpRequest,
    state: &AppState,
    id_text: &str,
) -> Result<HttpResponse, AppError> {
    let galaxy = state.galaxy.as_ref().ok_or_else(|| {
        AppError::NotFound(
            "this relay is not connected to a Galaxy server (galaxy.url is not set)".to_owned(),
        )
    })?;
    if !galaxy.has_api_key() {
        return Err(AppError::NotFound(
            "reading Galaxy collections needs an API key (galaxy.api_key)".to_owned(),
        ));
    }
    let id = DatasetId::parse(id_text).map_err(|e| AppError::invalid("id", id_text, e))?;
    let collection = galaxy.collection(&id).await.map_err(upstream)?;
    let datasets = collection.datasets();
    if datasets.len() > MAX_COLLECTION_DATASETS {
        return Err(AppError::UnprocessableFile {
            message: format!(
                "the collection has {} datasets; a page lists at most {MAX_COLLECTION_DATASETS}",
                datasets.len()
            ),
        });
    }
    let members = join_all(
        datasets
            .iter()
            .map(|(path, dataset)| member(state, galaxy, path, dataset)),
    )
    .await;
    let members = pair_reads(state, galaxy, &id, &datasets, members).await;
    let mut sections: Vec<Section> = Vec::new();
    for ((path, _), member) in datasets.iter().zip(members) {
        let identifier = path.first().cloned().unwrap_or_default();
        match sections.last_mut() {
            Some(s) if s.identifier == identifier => s.members.push(member),
            _ => sections.push(Section {
                identifier,
                members: vec![member],
            }),
        }
    }
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if wants_json(req) {
        return Ok(response.json(CollectionBody {
            id: id.as_str(),
            name: collection.name(),
            collection_type: collection.collection_type(),
            sections: &sections,
        }));
    }
    let all = sections.iter().flat_map(|s| &s.members);
    let refused = all.clone().filter(|m| m.access == "refused").count();
    let readable = all.filter(|m| m.access == "ok").count();
    let html = render(CollectionPage {
        base: state.urls.base().as_str(),
        name: collection.name(),
        collection_type: collection.collection_type(),
        galaxy_url: galaxy.base().as_str(),
        sections: &sections,
        readable,
        refused,
    })?;
    Ok(response.content_type("text/html; charset=utf-8").body(html))
}

/// Each VCF of the collection paired with its BAM/CRAM datasets by read
/// group (`super::reads`): the names listed, and its page link pairs with
/// the collection's alignments (`?collection=`).
async fn pair_reads(
    state: &AppState,
    galaxy: &GalaxyClient,
    id: &DatasetId,
    datasets: &[(Vec<String>, String)],
    mut members: Vec<Member>,
) -> Vec<Member> {
    let is_vcf =
        |m: &Member| m.access == "ok" && matches!(m.extension.as_str(), "vcf" | "vcf_bgzip");
    let has_reads = members
        .iter()
        .any(|m| m.access == "ok" && matches!(m.extension.as_str(), "bam" | "cram"));
    if !members.iter().any(is_vcf) || !has_reads {
        return members;
    }
    let ids: Vec<&str> = datasets.iter().map(|(_, id)| id.as_str()).collect();
    let scan = galaxy.collection_alignments(id, &ids).await;
    for member in members.iter_mut().filter(|m| is_vcf(m)) {
        member.reads = super::reads::paired_names(&scan, &member.samples);
        member.page_url = Some(
            state
                .urls
                .url(
                    &format!("galaxy/datasets/{}", member.id),
                    &[("collection", id.as_str())],
                )
                .to_string(),
        );
    }
    members
}

/// One dataset, read by itself: what Galaxy says of it, or that it refused.
async fn member(state: &AppState, galaxy: &GalaxyClient, path: &[String], id: &str) -> Member {
    let mut member = Member {
        path: path.get(1..).unwrap_or_default().join(" / "),
        id: id.to_owned(),
        access: "ok",
        name: String::new(),
        extension: String::new(),
        dbkey: String::new(),
        state: String::new(),
        page_url: None,
        message: None,
        reads: Vec::new(),
        samples: Vec::new(),
    };
    let meta = match DatasetId::parse(id) {
        Ok(dataset) => galaxy.dataset(&dataset).await,
        Err(e) => {
            member.access = "error";
            member.message = Some(e);
            return member;
        }
    };
    match meta {
        Ok(meta) => {
            member.name = meta.name().to_owned();
            member.extension = meta.extension().to_owned();
            member.dbkey = meta.dbkey().to_owned();
            member.state = meta.state().to_owned();
            member.samples = meta.sample_names.clone().unwrap_or_default();
            if for_extension(&member.extension, &meta.columns()).is_some() {
                member.page_url = Some(
                    state
                        .urls
                        .url(&format!("galaxy/datasets/{id}"), &[])
                        .to_string(),
                );
            } else {
                member.message = Some(format!(
                    "igv-relay does not show Galaxy datasets of type {:?}",
                    member.extension
                ));
            }
        }
        Err(e) => {
            member.access = if refused(&e) { "refused" } else { "error" };
            member.message = Some(e.to_string());
        }
    }
    member
}
