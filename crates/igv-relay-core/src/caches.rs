//! What a service remembers of the views it showed, so the next page of a
//! view is quick: where rows start (the page index), the views' tallies,
//! their sort orders, the alignment files beside them. Owned by the
//! service's state and handed to the core where a page or an export needs
//! it; each cache is bounded and keyed by the file's (or directory's)
//! version and the view.

use std::sync::Arc;

use crate::pairing::ReadsDirectories;
use crate::rows::Checkpoints;
use crate::sinks::tally::Tallies;
use crate::view::SortOrders;

#[derive(Clone, Default)]
pub struct ViewCaches {
    /// Shared with the counts that run in the background.
    pub checkpoints: Arc<Checkpoints>,
    pub tallies: Arc<Tallies>,
    pub sort_orders: Arc<SortOrders>,
    /// Directory trees scanned for reads to pair with a VCF.
    pub reads: Arc<ReadsDirectories>,
}

impl std::fmt::Debug for ViewCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ViewCaches")
            .field("checkpoints", &self.checkpoints.remembered())
            .finish_non_exhaustive()
    }
}
