//! The column heads of a page (issue 24): which field a column sorts by,
//! the sort link and mark of each head, and the columns a reviewer does not
//! need to see because no row of the page has a value in them (igv-reports
//! and Scout show only what is there; a VEP file's HGVS and END columns are
//! often empty on a whole page).

use crate::view::triage::Triage;

/// How a column is sorted now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortMark {
    Unsorted,
    Ascending,
    Descending,
}

/// A head's sort link: the same view sorted by this column, ascending, or
/// descending when it is sorted ascending already.
#[derive(Clone, Debug)]
pub struct SortLink {
    pub url: String,
    pub mark: SortMark,
}

impl SortLink {
    /// The arrow shown after the column's name.
    pub fn arrow(&self) -> &'static str {
        match self.mark {
            SortMark::Unsorted => "",
            SortMark::Ascending => "▲",
            SortMark::Descending => "▼",
        }
    }

    /// `aria-sort` of the head.
    pub fn aria(&self) -> &'static str {
        match self.mark {
            SortMark::Unsorted => "none",
            SortMark::Ascending => "ascending",
            SortMark::Descending => "descending",
        }
    }

    /// What following the link does, for its hover text.
    pub fn action(&self) -> &'static str {
        match self.mark {
            SortMark::Ascending => "sort largest first",
            _ => "sort smallest first",
        }
    }
}

/// The field `?sort=` takes for a page column, when it has one: fixed VCF
/// columns, INFO keys and annotation columns by their name, other formats'
/// columns by theirs. A sample's column shows several FORMAT keys at once,
/// so it has no single field to sort by.
pub fn sort_field(triage: &Triage, column: &str) -> Option<String> {
    match &triage.header {
        Some(header) if header.sample_index(column).is_some() => None,
        _ => Some(column.to_owned()),
    }
}

/// The mark of `field` under the sort as written (`-QUAL` sorts QUAL
/// descending).
pub fn mark_of(sort_text: Option<&str>, field: &str) -> SortMark {
    match sort_text.map(str::trim) {
        Some(text) if text == field => SortMark::Ascending,
        Some(text) if text.strip_prefix('-') == Some(field) => SortMark::Descending,
        _ => SortMark::Unsorted,
    }
}

/// A cell with nothing in it: empty, or VCF's `.` for a missing value.
pub(crate) fn is_blank(cell: &str) -> bool {
    let cell = cell.trim();
    cell.is_empty() || cell == "."
}

/// Keeps the items of `list` whose position `kept` keeps.
pub(crate) fn keep_only<T>(list: &mut Vec<T>, kept: &impl Fn(&usize) -> bool) {
    *list = std::mem::take(list)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| kept(i))
        .map(|(_, c)| c)
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sort_as_written_marks_its_column() {
        assert_eq!(mark_of(Some("-QUAL"), "QUAL"), SortMark::Descending);
        assert_eq!(mark_of(Some("QUAL"), "QUAL"), SortMark::Ascending);
        assert_eq!(mark_of(Some("QUALITY"), "QUAL"), SortMark::Unsorted);
        assert_eq!(mark_of(None, "QUAL"), SortMark::Unsorted);
    }
}
