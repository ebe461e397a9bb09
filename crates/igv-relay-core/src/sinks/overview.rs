//! The overview picture: the view's chromosomes to scale, its records as
//! density bars (PASS and filtered apart for VCF). Drawn by the server as
//! SVG (`templates/records.html`), so it needs no JavaScript and survives
//! Galaxy's sanitized view; every bar is a link that relays its region to
//! IGV, and the strip under each chromosome filters the table to a region.

use super::tally::{ChromBins, Tally};
use crate::links::RowLink;

/// Chromosomes drawn; the rest are summed in a note.
const MAX_ROWS: usize = 40;
/// Drawing units across the whole picture.
pub const WIDTH: u32 = 1000;
const LABEL_WIDTH: u32 = 90;
const ROW_HEIGHT: u32 = 22;
const BAR_HEIGHT: f64 = 14.0;
/// Bars drawn across the longest chromosome: each is a link with a title, so
/// their number is what the picture weighs (a human call set's 24
/// chromosomes filled to 180 bars each made a megabyte of SVG; benches/igv-reports.sh
/// weighs the page).
const COLUMNS: u64 = 64;
/// Filtering strips under a chromosome: each covers a tenth of it.
const STRIPS: u64 = 10;

/// One bar: a stretch of a chromosome and its records.
#[derive(Clone, Debug)]
pub struct Bar {
    pub x: f64,
    pub width: f64,
    /// Top and height of the PASS (or unfiltered) part, and of the failed part
    /// stacked on it.
    pub pass_y: f64,
    pub pass_height: f64,
    pub failed_y: f64,
    pub failed_height: f64,
    pub relay_url: String,
    pub title: String,
}

/// A strip under a stretch of a chromosome: shows only its records.
#[derive(Clone, Debug)]
pub struct Strip {
    pub x: f64,
    pub width: f64,
    pub filter_url: String,
    pub title: String,
}

#[derive(Clone, Debug)]
pub struct Row {
    pub y: u32,
    pub label: String,
    pub label_url: String,
    pub track_width: f64,
    pub bars: Vec<Bar>,
    pub strips: Vec<Strip>,
}

/// The picture, ready for the template.
#[derive(Clone, Debug)]
pub struct Overview {
    pub width: u32,
    pub height: u32,
    pub label_width: u32,
    pub rows: Vec<Row>,
    pub vcf: bool,
    pub note: Option<String>,
}

/// What the picture's strips and labels link to: the page filtered to a
/// region or a chromosome (the web layer knows the page's URL; its bars
/// link to the relay).
pub trait OverviewLinks {
    fn filter_region(&self, chrom: &str, start: u64, end: u64) -> String;
    fn filter_chrom(&self, chrom: &str) -> String;
}

/// Draws `tally`; `length` gives a chromosome's length where the genome or
/// the file's header knows it (else the furthest record end is used); each
/// bar relays its region with `relay`.
pub fn draw(
    tally: &Tally,
    vcf: bool,
    length: impl Fn(&str) -> Option<u64>,
    relay: &RowLink,
    links: &dyn OverviewLinks,
) -> Option<Overview> {
    if tally.chroms.is_empty() {
        return None;
    }
    let (chroms, note) = drawn_chromosomes(tally, length);
    let longest = chroms.iter().map(|c| c.length).max().unwrap_or(1);
    let column_bp = (longest.div_ceil(COLUMNS)).max(tally.bin_bp);
    // Bins per drawn column, a whole number so no bin is split.
    let per_column = column_bp.div_ceil(tally.bin_bp).max(1) as usize;
    let max_count = chroms
        .iter()
        .flat_map(|c| c.bins.bins.chunks(per_column))
        .map(|chunk| {
            chunk
                .iter()
                .map(|(a, b)| u64::from(*a) + u64::from(*b))
                .sum::<u64>()
        })
        .max()
        .unwrap_or(1)
        .max(1);
    let picture = Picture {
        vcf,
        bin_bp: tally.bin_bp,
        per_column,
        column_bp: per_column as u64 * tally.bin_bp,
        scale: f64::from(WIDTH - LABEL_WIDTH - 10) / longest as f64,
        max_count,
        relay,
        links,
    };
    let rows: Vec<Row> = chroms
        .iter()
        .enumerate()
        .map(|(i, chrom)| picture.row(i, chrom))
        .collect();
    Some(Overview {
        width: WIDTH,
        height: rows.len() as u32 * ROW_HEIGHT + 4,
        label_width: LABEL_WIDTH,
        rows,
        vcf,
        note,
    })
}

/// A chromosome as drawn: its bins, its length, its records.
struct Drawn<'t> {
    bins: &'t ChromBins,
    length: u64,
    records: u64,
}

/// The chromosomes drawn, in file order: all, or the [`MAX_ROWS`] with the
/// most records and a note on the rest.
fn drawn_chromosomes(
    tally: &Tally,
    length: impl Fn(&str) -> Option<u64>,
) -> (Vec<Drawn<'_>>, Option<String>) {
    let mut chroms: Vec<Drawn<'_>> = tally
        .chroms
        .iter()
        .map(|c| Drawn {
            bins: c,
            length: length(&c.name).unwrap_or(c.max_end).max(c.max_end).max(1),
            records: c
                .bins
                .iter()
                .map(|(a, b)| u64::from(*a) + u64::from(*b))
                .sum(),
        })
        .collect();
    if chroms.len() <= MAX_ROWS {
        return (chroms, None);
    }
    // The chromosomes with most records, kept in file order.
    let mut by_count: Vec<usize> = (0..chroms.len()).collect();
    by_count.sort_by_key(|&i| std::cmp::Reverse(chroms[i].records));
    let keep: std::collections::HashSet<usize> = by_count.into_iter().take(MAX_ROWS).collect();
    let hidden = chroms.len() - MAX_ROWS;
    chroms = chroms
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, c)| c)
        .collect();
    let note = format!("{hidden} more sequences with fewer records are not drawn.");
    (chroms, Some(note))
}

/// What every row of one picture shares.
struct Picture<'l> {
    vcf: bool,
    bin_bp: u64,
    /// Bins per drawn column, and the bases a column covers.
    per_column: usize,
    column_bp: u64,
    /// Drawing units per base.
    scale: f64,
    /// Records in the fullest column.
    max_count: u64,
    relay: &'l RowLink,
    links: &'l dyn OverviewLinks,
}

impl Picture<'_> {
    /// Heights on a log scale: one record is still visible next to thousands.
    fn height_of(&self, n: u64) -> f64 {
        if n == 0 {
            0.0
        } else {
            (1.0 + (n as f64).ln()) / (1.0 + (self.max_count as f64).ln()) * BAR_HEIGHT
        }
    }

    fn row(&self, i: usize, chrom: &Drawn<'_>) -> Row {
        let y = i as u32 * ROW_HEIGHT;
        let baseline = f64::from(y) + 2.0 + BAR_HEIGHT;
        let name = &chrom.bins.name;
        let bars = chrom
            .bins
            .bins
            .chunks(self.per_column)
            .enumerate()
            .filter_map(|(column, chunk)| self.bar(name, chrom.length, baseline, column, chunk))
            .collect();
        Row {
            y,
            label: name.clone(),
            label_url: self.links.filter_chrom(name),
            track_width: (chrom.length as f64 * self.scale).max(2.0),
            bars,
            strips: self.strips(chrom),
        }
    }

    /// The bar of one column's bins, if they hold records.
    fn bar(
        &self,
        name: &str,
        length: u64,
        baseline: f64,
        column: usize,
        chunk: &[(u32, u32)],
    ) -> Option<Bar> {
        let (pass, failed) = chunk.iter().fold((0u64, 0u64), |(a, b), (c, d)| {
            (a + u64::from(*c), b + u64::from(*d))
        });
        let total = pass + failed;
        if total == 0 {
            return None;
        }
        let start = column as u64 * self.column_bp + 1;
        let end = ((column as u64 + 1) * self.column_bp)
            .min(length)
            .max(start);
        let height = self.height_of(total).max(1.5);
        let failed_height = height * failed as f64 / total as f64;
        let pass_height = height - failed_height;
        Some(Bar {
            x: f64::from(LABEL_WIDTH) + (start - 1) as f64 * self.scale,
            width: ((end - start + 1) as f64 * self.scale).max(2.0),
            pass_y: baseline - pass_height,
            pass_height,
            failed_y: baseline - pass_height - failed_height,
            failed_height,
            relay_url: self.relay.to(&format!("{name}:{start}-{end}")),
            title: if self.vcf && failed > 0 {
                format!("{name}:{start}-{end}: {total} records, {failed} filtered")
            } else {
                format!("{name}:{start}-{end}: {total} records")
            },
        })
    }

    /// Strips: tenths of the chromosome that hold records.
    fn strips(&self, chrom: &Drawn<'_>) -> Vec<Strip> {
        let length = chrom.length;
        let part = length.div_ceil(STRIPS).max(1);
        (0..STRIPS)
            .filter_map(|i| {
                let start = i * part + 1;
                let end = ((i + 1) * part).min(length);
                if start > end {
                    return None;
                }
                let first_bin = ((start - 1) / self.bin_bp) as usize;
                let last_bin = ((end - 1) / self.bin_bp) as usize;
                let any = chrom
                    .bins
                    .bins
                    .iter()
                    .take(last_bin + 1)
                    .skip(first_bin)
                    .any(|(a, b)| a + b > 0);
                any.then(|| Strip {
                    x: f64::from(LABEL_WIDTH) + (start - 1) as f64 * self.scale,
                    width: ((end - start + 1) as f64 * self.scale).max(2.0),
                    filter_url: self.links.filter_region(&chrom.bins.name, start, end),
                    title: format!("Show only the records of {}:{start}-{end}", chrom.bins.name),
                })
            })
            .collect()
    }
}
