//! A view in sort order (`?sort=`): a first pass keeps each row's key and
//! number (bounded: [`MAX_SORT_ROWS`]), sorts them, and later reads take
//! the rows in that order ([`crate::rows::RowReader::read_selected`]). The
//! orders recently computed are remembered ([`SortOrders`], owned by the
//! service), so the second page of a sort does not read the file twice again.

use std::io;
use std::sync::{Arc, Mutex};

use super::conditions::{RecordFields, SortKey};
use super::file_view::{FileView, OpenRows, Purpose};
use super::triage::Triage;
use crate::error::CoreError;
use crate::recent::Recent;
use crate::rows::{Checkpoints, FileIdentity, IndexedFile, Row, RowsKey};

/// Most records a sort orders (two numbers each: 32 MB at most).
pub const MAX_SORT_ROWS: usize = 1_000_000;

/// Sort orders remembered; each is at most [`MAX_SORT_ROWS`] numbers.
const MAX_ORDERS: usize = 8;

/// Rows between the positions a sort order keeps: a sorted page reaches
/// each of its rows from the position before it, so it reads at most this
/// many of the view's rows per row it shows (with a filter that keeps one
/// record in five, about 320 lines). 10⁶ rows keep 15,625 positions
/// (32 bytes each, 0.5 MB) beside their 8 MB order.
const ORDER_POSITION_EVERY: u64 = 64;

/// A sort order and where its rows start.
#[derive(Clone)]
pub struct SortedRows {
    /// The view's row numbers in sort order.
    pub order: Arc<Vec<u64>>,
    /// Positions of the view's rows, every [`ORDER_POSITION_EVERY`] rows
    /// (empty when the file cannot be read from the middle).
    pub positions: Arc<Checkpoints>,
}

/// Which order: a file version, the rows a view keeps, and the sort as
/// written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct OrderKey {
    file: FileIdentity,
    rows: RowsKey,
    sort: String,
}

/// The sort orders recently computed (see the module comment).
pub struct SortOrders {
    recent: Mutex<Recent<OrderKey, SortedRows>>,
}

impl Default for SortOrders {
    fn default() -> Self {
        Self {
            recent: Mutex::new(Recent::new(MAX_ORDERS)),
        }
    }
}

impl SortOrders {
    fn get(&self, key: &OrderKey) -> Option<SortedRows> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.get(key).cloned()
    }

    fn keep(&self, key: OrderKey, order: SortedRows) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.insert(key, order, |_| true);
    }
}

impl FileView<'_> {
    /// The numbers of the view's rows (0-based, among the rows it keeps) in
    /// `triage`'s sort order (empty when the view is not sorted), and where
    /// they start. Reads the file again from its start, unless `orders`
    /// remembers the order.
    pub fn sort_order(
        &self,
        triage: &Triage,
        orders: Option<&SortOrders>,
    ) -> Result<SortedRows, CoreError> {
        let positions = Arc::new(Checkpoints::with_stride(ORDER_POSITION_EVERY));
        let Some(sort) = &self.spec.choices.sort_text else {
            return Ok(SortedRows {
                order: Arc::default(),
                positions,
            });
        };
        let key = self.seekable().map(|file| OrderKey {
            file: file.identity,
            rows: self.rows_key(),
            sort: sort.clone(),
        });
        if let (Some(orders), Some(key)) = (orders, &key)
            && let Some(sorted) = orders.get(key)
        {
            return Ok(sorted);
        }
        let sorted = SortedRows {
            order: Arc::new(self.first_pass(triage, &positions)?),
            positions,
        };
        if let (Some(orders), Some(key)) = (orders, key) {
            orders.keep(key, sorted.clone());
        }
        Ok(sorted)
    }

    /// The order, filling `positions` on the way.
    fn first_pass(&self, triage: &Triage, positions: &Checkpoints) -> Result<Vec<u64>, CoreError> {
        let Some(spec) = &triage.sort else {
            return Ok(Vec::new());
        };
        let OpenRows { mut reader, .. } = self.open(Purpose::SortKeys, false, self.reread()?)?;
        let mut keys: Vec<(SortKey, u64)> = Vec::new();
        let mut too_many = false;
        let mut collect = |row: Row| {
            if keys.len() >= MAX_SORT_ROWS {
                too_many = true;
                return Err(io::Error::other("too many rows to sort"));
            }
            let annotations = triage.annotations_of(row.values.as_deref());
            let fields = RecordFields {
                chrom: row.interval.as_ref().map_or("", |i| i.chrom.as_str()),
                pos: row.interval.as_ref().map_or(0, |i| i.start),
                values: row.values.as_deref(),
                annotations: &annotations,
                cells: &row.cells,
                sv: row.sv.as_deref(),
            };
            keys.push((SortKey::of(spec, &fields), keys.len() as u64));
            Ok(())
        };
        let index = self.seekable().map(|file| IndexedFile {
            checkpoints: positions,
            file,
            rows: self.rows_key(),
        });
        let read = reader.read_all(index, &mut collect);
        if too_many {
            return Err(CoreError::Unreadable(format!(
                "sorting is limited to {} records and this view has more; \
                 narrow it with a filter first",
                crate::words::group(MAX_SORT_ROWS as u64)
            )));
        }
        read.map_err(|e| self.read_error(e))?;
        keys.sort_by(|a, b| a.0.compare(&b.0, spec.descending).then(a.1.cmp(&b.1)));
        Ok(keys.into_iter().map(|(_, seq)| seq).collect())
    }
}
