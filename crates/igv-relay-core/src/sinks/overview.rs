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
    let mut chroms: Vec<(&ChromBins, u64, u64)> = tally
        .chroms
        .iter()
        .map(|c| {
            let total: u64 = c
                .bins
                .iter()
                .map(|(a, b)| u64::from(*a) + u64::from(*b))
                .sum();
            (
                c,
                length(&c.name).unwrap_or(c.max_end).max(c.max_end).max(1),
                total,
            )
        })
        .collect();
    let mut note = None;
    if chroms.len() > MAX_ROWS {
        // The chromosomes with most records, kept in file order.
        let mut by_count: Vec<usize> = (0..chroms.len()).collect();
        by_count.sort_by_key(|&i| std::cmp::Reverse(chroms[i].2));
        let keep: std::collections::HashSet<usize> = by_count.into_iter().take(MAX_ROWS).collect();
        let hidden = chroms.len() - MAX_ROWS;
        chroms = chroms
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, c)| c)
            .collect();
        note = Some(format!(
            "{hidden} more sequences with fewer records are not drawn."
        ));
    }
    let longest = chroms.iter().map(|c| c.1).max().unwrap_or(1);
    let column_bp = (longest.div_ceil(COLUMNS)).max(tally.bin_bp);
    // Bins per drawn column, a whole number so no bin is split.
    let per_column = column_bp.div_ceil(tally.bin_bp).max(1);
    let column_bp = per_column * tally.bin_bp;
    let track = f64::from(WIDTH - LABEL_WIDTH - 10);
    let scale = track / longest as f64;
    let max_count = chroms
        .iter()
        .flat_map(|c| c.0.bins.chunks(per_column as usize))
        .map(|chunk| {
            chunk
                .iter()
                .map(|(a, b)| u64::from(*a) + u64::from(*b))
                .sum::<u64>()
        })
        .max()
        .unwrap_or(1)
        .max(1);
    // Heights on a log scale: one record is still visible next to thousands.
    let height_of = |n: u64| {
        if n == 0 {
            0.0
        } else {
            (1.0 + (n as f64).ln()) / (1.0 + (max_count as f64).ln()) * BAR_HEIGHT
        }
    };
    let rows = chroms
        .iter()
        .enumerate()
        .map(|(i, (chrom, length, _))| {
            let y = i as u32 * ROW_HEIGHT;
            let baseline = f64::from(y) + 2.0 + BAR_HEIGHT;
            let bars = chrom
                .bins
                .chunks(per_column as usize)
                .enumerate()
                .filter_map(|(column, chunk)| {
                    let (pass, failed) = chunk.iter().fold((0u64, 0u64), |(a, b), (c, d)| {
                        (a + u64::from(*c), b + u64::from(*d))
                    });
                    let total = pass + failed;
                    if total == 0 {
                        return None;
                    }
                    let start = column as u64 * column_bp + 1;
                    let end = ((column as u64 + 1) * column_bp).min(*length).max(start);
                    let height = height_of(total).max(1.5);
                    let failed_height = height * failed as f64 / total as f64;
                    let pass_height = height - failed_height;
                    let x = f64::from(LABEL_WIDTH) + (start - 1) as f64 * scale;
                    let width = ((end - start + 1) as f64 * scale).max(2.0);
                    Some(Bar {
                        x,
                        width,
                        pass_y: baseline - pass_height,
                        pass_height,
                        failed_y: baseline - pass_height - failed_height,
                        failed_height,
                        relay_url: relay.to(&format!("{}:{start}-{end}", chrom.name)),
                        title: if vcf && failed > 0 {
                            format!(
                                "{}:{start}-{end}: {total} records, {failed} filtered",
                                chrom.name
                            )
                        } else {
                            format!("{}:{start}-{end}: {total} records", chrom.name)
                        },
                    })
                })
                .collect();
            // Strips: tenths of the chromosome that hold records.
            let part = length.div_ceil(STRIPS).max(1);
            let strips = (0..STRIPS)
                .filter_map(|i| {
                    let start = i * part + 1;
                    let end = ((i + 1) * part).min(*length);
                    if start > end {
                        return None;
                    }
                    let first_bin = ((start - 1) / tally.bin_bp) as usize;
                    let last_bin = ((end - 1) / tally.bin_bp) as usize;
                    let any = chrom
                        .bins
                        .iter()
                        .take(last_bin + 1)
                        .skip(first_bin)
                        .any(|(a, b)| a + b > 0);
                    any.then(|| Strip {
                        x: f64::from(LABEL_WIDTH) + (start - 1) as f64 * scale,
                        width: ((end - start + 1) as f64 * scale).max(2.0),
                        filter_url: links.filter_region(&chrom.name, start, end),
                        title: format!("Show only the records of {}:{start}-{end}", chrom.name),
                    })
                })
                .collect();
            Row {
                y,
                label: chrom.name.clone(),
                label_url: links.filter_chrom(&chrom.name),
                track_width: (*length as f64 * scale).max(2.0),
                bars,
                strips,
            }
        })
        .collect::<Vec<_>>();
    Some(Overview {
        width: WIDTH,
        height: rows.len() as u32 * ROW_HEIGHT + 4,
        label_width: LABEL_WIDTH,
        rows,
        vcf,
        note,
    })
}
