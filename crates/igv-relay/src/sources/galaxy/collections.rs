//! Galaxy dataset collections (`list`, `list:paired`, `paired`, and nested
//! lists of them), as `GET /api/dataset_collections/{id}?instance_type=history`
//! describes a history's collection: its elements, each a dataset (`hda`) or a
//! collection of its own (a pair's `forward`/`reverse`).
//!
//! The collection's description says nothing about whether its datasets may
//! be read: a collection shared with a user can hold a dataset its owner
//! made private. So every dataset is asked for by itself
//! ([`GalaxyClient::dataset`]), and one Galaxy refuses is shown as refused.

use serde::Deserialize;

use super::{DatasetId, GalaxyClient, GalaxyError, not_found_as_missing};

/// Most datasets of one collection a page lists (each is one request to
/// Galaxy).
pub const MAX_COLLECTION_DATASETS: usize = 500;

/// A collection as `GET /api/dataset_collections/{id}` returns it; only the
/// fields the relay uses.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Collection {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub collection_type: Option<String>,
    #[serde(default)]
    pub populated_state: Option<String>,
    #[serde(default)]
    pub elements: Vec<Element>,
}

/// One element: a dataset, or a collection (a pair, a sub-list).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Element {
    #[serde(default)]
    pub element_identifier: String,
    /// `hda` or `dataset_collection`.
    #[serde(default)]
    pub element_type: String,
    #[serde(default)]
    pub object: ElementObject,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ElementObject {
    #[serde(default)]
    pub id: String,
    /// A sub-collection's elements.
    #[serde(default)]
    pub elements: Vec<Element>,
}

impl Collection {
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("collection")
    }

    pub fn collection_type(&self) -> &str {
        self.collection_type.as_deref().unwrap_or("list")
    }

    /// Every dataset of the collection, depth first, with the identifiers
    /// on its way (`["sample1", "forward"]`).
    pub fn datasets(&self) -> Vec<(Vec<String>, String)> {
        let mut out = Vec::new();
        collect(&self.elements, &mut Vec::new(), &mut out);
        out
    }
}

fn collect(elements: &[Element], path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    for element in elements {
        path.push(element.element_identifier.clone());
        if element.element_type == "hda" {
            out.push((path.clone(), element.object.id.clone()));
        } else {
            collect(&element.object.elements, path, out);
        }
        path.pop();
    }
}

impl GalaxyClient {
    /// `GET /api/dataset_collections/{id}?instance_type=history` with the
    /// API key: a collection of a history, by its encoded id.
    #[tracing::instrument(skip(self), fields(galaxy = %self.base))]
    pub async fn collection(&self, id: &DatasetId) -> Result<Collection, GalaxyError> {
        let what = format!("reading the collection {id}");
        let url = self.api_url(&format!(
            "api/dataset_collections/{id}?instance_type=history"
        ))?;
        let response = self
            .send(self.with_key(self.http.get(url)), &what)
            .await
            .map_err(|e| match not_found_as_missing(e, id) {
                GalaxyError::NoSuchDataset(id) => GalaxyError::NoSuchCollection(id),
                e => e,
            })?;
        self.read_json(response, &what).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_of_pairs_gives_every_dataset_with_its_path() {
        let json = r#"{"id": "c1", "name": "reads", "collection_type": "list:paired",
            "elements": [
              {"element_identifier": "s1", "element_type": "dataset_collection",
               "object": {"id": "x", "elements": [
                 {"element_identifier": "forward", "element_type": "hda", "object": {"id": "d1"}},
                 {"element_identifier": "reverse", "element_type": "hda", "object": {"id": "d2"}}]}},
              {"element_identifier": "s2", "element_type": "dataset_collection",
               "object": {"id": "y", "elements": [
                 {"element_identifier": "forward", "element_type": "hda", "object": {"id": "d3"}}]}}]}"#;
        let c: Collection = serde_json::from_str(json).unwrap();
        assert_eq!(c.collection_type(), "list:paired");
        let d = c.datasets();
        assert_eq!(d.len(), 3);
        assert_eq!(
            d[0],
            (vec!["s1".to_owned(), "forward".to_owned()], "d1".to_owned())
        );
        assert_eq!(
            d[2],
            (vec!["s2".to_owned(), "forward".to_owned()], "d3".to_owned())
        );
    }
}
