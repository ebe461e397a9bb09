//! The Manhattan plot of GWAS summary statistics (issue 25): the genome's
//! chromosomes side by side to scale, and for each stretch of a chromosome
//! the strongest association in it as a point at its −log10 P. Drawn by the
//! server as SVG (`templates/records.html`) like the density overview, so it
//! needs no JavaScript; every point is a link that relays its stretch to IGV.
//!
//! The points come from the tally's bins ([`ChromBins::peaks`]), grouped into
//! [`COLUMNS`] stretches across the whole genome: a genome-wide file of ten
//! million variants is still a picture of at most a couple of thousand links.

use super::karyotype::karyotype_order;
use super::tally::{ChromBins, Tally};
use crate::links::RowLink;

/// Drawing units across the picture (it scales to the page's width).
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 300;
/// Room for the −log10 P axis on the left and the chromosome names below.
pub const LEFT: u32 = 44;
const TOP: u32 = 10;
const BOTTOM: u32 = 40;
/// Stretches across the whole genome, one point each at most.
const COLUMNS: u64 = 1500;
/// Genome-wide significance, P = 5 × 10⁻⁸, as −log10 P.
pub const GENOME_WIDE: f64 = 7.301_029_995_663_981;

/// One point: the strongest association of a stretch.
#[derive(Clone, Debug)]
pub struct Point {
    pub cx: f64,
    pub cy: f64,
    /// Alternate chromosomes alternate colours.
    pub odd: bool,
    pub relay_url: String,
    pub title: String,
}

/// A chromosome's place along the axis.
#[derive(Clone, Debug)]
pub struct Band {
    pub x: f64,
    pub width: f64,
    pub label: String,
    pub label_x: f64,
    pub odd: bool,
}

/// A −log10 P value on the axis.
#[derive(Clone, Debug)]
pub struct Tick {
    pub y: f64,
    pub label: String,
}

/// The picture, ready for the template.
#[derive(Clone, Debug)]
pub struct Manhattan {
    pub width: u32,
    pub height: u32,
    pub left: u32,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub label_y: f64,
    pub bands: Vec<Band>,
    pub points: Vec<Point>,
    pub ticks: Vec<Tick>,
    /// Where P = 5 × 10⁻⁸ is drawn, when it is within the axis.
    pub genome_wide_y: Option<f64>,
}

/// A chromosome as laid out: its bins, its length, where it starts.
struct Laid<'t> {
    bins: &'t ChromBins,
    length: u64,
    offset: u64,
}

/// Draws the peaks of `tally` (`None` when no record has a score); `length`
/// gives a chromosome's length where the genome or the file knows it (else
/// the furthest record is used); each point relays its stretch with `relay`.
pub fn draw(
    tally: &Tally,
    length: impl Fn(&str) -> Option<u64>,
    relay: &RowLink,
) -> Option<Manhattan> {
    let laid = laid_out(tally, length);
    if laid.is_empty() {
        return None;
    }
    let genome = laid.iter().map(|c| c.length).sum::<u64>().max(1);
    let finite_max = laid
        .iter()
        .flat_map(|c| c.bins.peaks.iter())
        .filter_map(|p| p.score())
        .filter(|p| p.is_finite())
        .fold(0.0_f64, |a, b| a.max(f64::from(b)));
    // P = 0 (an underflow) is drawn just above the strongest finite value.
    let infinite_at = finite_max + 1.0;
    let top_value = infinite_at.max(GENOME_WIDE + 1.0).ceil();
    let plot_top = f64::from(TOP);
    let plot_bottom = f64::from(HEIGHT - BOTTOM);
    let scale_x = f64::from(WIDTH - LEFT - 6) / genome as f64;
    let y_of = |value: f64| plot_bottom - value / top_value * (plot_bottom - plot_top);
    let column_bp = genome.div_ceil(COLUMNS).max(tally.bin_bp);
    let per_column = column_bp.div_ceil(tally.bin_bp).max(1) as usize;
    let mut points = Vec::new();
    let mut bands = Vec::new();
    for (i, chrom) in laid.iter().enumerate() {
        let odd = i % 2 == 1;
        let x = f64::from(LEFT) + chrom.offset as f64 * scale_x;
        let width = chrom.length as f64 * scale_x;
        bands.push(Band {
            x,
            width,
            label: chrom.bins.name.clone(),
            label_x: x + width / 2.0,
            odd,
        });
        for (column, peaks) in chrom.bins.peaks.chunks(per_column).enumerate() {
            let Some(peak) = peaks.iter().copied().max().and_then(|p| p.score()) else {
                continue;
            };
            let span_bp = per_column as u64 * tally.bin_bp;
            let start = column as u64 * span_bp + 1;
            let end = ((column as u64 + 1) * span_bp).min(chrom.length).max(start);
            let value = if peak.is_finite() {
                f64::from(peak)
            } else {
                infinite_at
            };
            let name = &chrom.bins.name;
            points.push(Point {
                cx: x + ((start + end) / 2) as f64 * scale_x,
                cy: y_of(value),
                odd,
                relay_url: relay.to(&format!("{name}:{start}-{end}")),
                title: if peak.is_finite() {
                    format!("{name}:{start}-{end}: strongest −log10 P {peak:.2}")
                } else {
                    format!("{name}:{start}-{end}: P = 0")
                },
            });
        }
    }
    let ticks = ticks(top_value, y_of);
    Some(Manhattan {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        plot_top,
        plot_bottom,
        label_y: plot_bottom + 16.0,
        bands,
        points,
        ticks,
        genome_wide_y: Some(y_of(GENOME_WIDE)),
    })
}

/// The scored chromosomes in karyotype order, end to end.
fn laid_out(tally: &Tally, length: impl Fn(&str) -> Option<u64>) -> Vec<Laid<'_>> {
    let mut chroms: Vec<&ChromBins> = tally
        .chroms
        .iter()
        .filter(|c| !c.peaks.is_empty())
        .collect();
    chroms.sort_by(|a, b| karyotype_order(&a.name, &b.name));
    let mut offset = 0;
    chroms
        .into_iter()
        .map(|bins| {
            let length = length(&bins.name)
                .unwrap_or(bins.max_end)
                .max(bins.max_end)
                .max(1);
            let laid = Laid {
                bins,
                length,
                offset,
            };
            offset += length;
            laid
        })
        .collect()
}

/// About five whole-number ticks from 0 to `top_value`.
fn ticks(top_value: f64, y_of: impl Fn(f64) -> f64) -> Vec<Tick> {
    let step = (top_value / 5.0).ceil().max(1.0);
    (0..)
        .map(|i| f64::from(i) * step)
        .take_while(|v| *v <= top_value)
        .map(|v| Tick {
            y: y_of(v),
            label: format!("{v:.0}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_genome_wide_line_is_five_times_ten_to_the_minus_eight() {
        assert!((GENOME_WIDE - -(5e-8_f64).log10()).abs() < 1e-9);
    }
}
