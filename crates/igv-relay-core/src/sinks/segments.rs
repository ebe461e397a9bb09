//! The overview of a SEG file (issue 25): one row per sample, the genome's
//! chromosomes side by side to scale, each segment coloured by its mean
//! (blue below 0, red above, as IGV colours copy-number segments), and each
//! segment a link that relays it to IGV. Drawn by the server as SVG
//! (`templates/records.html`) like the other overviews.
//!
//! The segments are collected by the tally's pass ([`Segments`]), bounded:
//! the first [`MAX_SEGMENTS`] of at most [`MAX_SAMPLES`] samples.

use super::karyotype::karyotype_order;
use crate::formats::Interval;
use crate::links::RowLink;

/// Segments kept for the picture; the rest are counted in a note.
pub const MAX_SEGMENTS: usize = 5_000;
/// Samples drawn (rows of the picture).
pub const MAX_SAMPLES: usize = 40;
pub const WIDTH: u32 = 1000;
pub const LEFT: u32 = 150;
const ROW_HEIGHT: u32 = 16;
const TOP: u32 = 4;
/// Means at or beyond ±this are drawn in the full colour (a log2 ratio of
/// 1 is twice the copies, -1 half).
const FULL_COLOUR: f32 = 1.0;

/// One segment: its sample (an index into [`Segments::samples`]), where it
/// lies (1-based, as the reader gives it) and its mean in thousandths
/// (whole numbers keep the tally comparable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub sample: u16,
    pub interval: Interval,
    pub mean_milli: i32,
}

/// The segments of a view, bounded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segments {
    pub samples: Vec<String>,
    pub kept: Vec<Segment>,
    /// Segments seen beyond the bounds.
    pub left_out: u64,
}

impl Segments {
    pub fn add(&mut self, sample: &str, interval: &Interval, mean: f32) {
        let index = match self.samples.iter().position(|s| s == sample) {
            Some(i) => i,
            None if self.samples.len() < MAX_SAMPLES => {
                self.samples.push(sample.to_owned());
                self.samples.len() - 1
            }
            None => {
                self.left_out += 1;
                return;
            }
        };
        if self.kept.len() >= MAX_SEGMENTS || !mean.is_finite() {
            self.left_out += 1;
            return;
        }
        self.kept.push(Segment {
            sample: index as u16,
            interval: interval.clone(),
            mean_milli: (mean * 1000.0).round() as i32,
        });
    }

    /// Adds the segments of a later stretch of the file.
    pub fn merge(&mut self, later: Segments) {
        self.left_out += later.left_out;
        for segment in later.kept {
            let sample = &later.samples[usize::from(segment.sample)];
            self.add(
                sample,
                &segment.interval,
                segment.mean_milli as f32 / 1000.0,
            );
        }
    }
}

/// One drawn segment.
#[derive(Clone, Debug)]
pub struct Rect {
    pub x: f64,
    pub y: u32,
    pub width: f64,
    pub fill: String,
    pub relay_url: String,
    pub title: String,
}

/// A sample's row label, or a chromosome's name under the picture.
#[derive(Clone, Debug)]
pub struct Label {
    pub x: f64,
    pub y: u32,
    pub text: String,
}

/// The picture, ready for the template.
#[derive(Clone, Debug)]
pub struct SegmentPicture {
    pub width: u32,
    pub height: u32,
    pub left: u32,
    pub samples: Vec<Label>,
    pub chroms: Vec<Label>,
    /// Chromosome boundaries, as x.
    pub bounds: Vec<f64>,
    pub rects: Vec<Rect>,
    pub note: Option<String>,
}

/// Draws `segments` (`None` without any); `length` gives a chromosome's
/// length where the genome knows it (else the furthest segment end).
pub fn draw(
    segments: &Segments,
    length: impl Fn(&str) -> Option<u64>,
    relay: &RowLink,
) -> Option<SegmentPicture> {
    if segments.kept.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for s in &segments.kept {
        if !names.contains(&s.interval.chrom.as_str()) {
            names.push(&s.interval.chrom);
        }
    }
    names.sort_by(|a, b| karyotype_order(a, b));
    let furthest = |name: &str| {
        segments
            .kept
            .iter()
            .filter(|s| s.interval.chrom == name)
            .map(|s| s.interval.end)
            .max()
            .unwrap_or(1)
    };
    let lengths: Vec<u64> = names
        .iter()
        .map(|n| length(n).unwrap_or(0).max(furthest(n)).max(1))
        .collect();
    let offsets: Vec<u64> = lengths
        .iter()
        .scan(0, |sum, l| {
            let at = *sum;
            *sum += l;
            Some(at)
        })
        .collect();
    let scale = f64::from(WIDTH - LEFT - 4) / lengths.iter().sum::<u64>().max(1) as f64;
    let x_of =
        |chrom: usize, position: u64| f64::from(LEFT) + (offsets[chrom] + position) as f64 * scale;
    let rows = segments.samples.len() as u32;
    let rects = segments
        .kept
        .iter()
        .filter_map(|s| {
            let chrom = names.iter().position(|n| *n == s.interval.chrom)?;
            let mean = s.mean_milli as f32 / 1000.0;
            let sample = &segments.samples[usize::from(s.sample)];
            let locus = format!(
                "{}:{}-{}",
                s.interval.chrom, s.interval.start, s.interval.end
            );
            Some(Rect {
                x: x_of(chrom, s.interval.start.saturating_sub(1)),
                y: TOP + u32::from(s.sample) * ROW_HEIGHT,
                width: ((s.interval.end.saturating_sub(s.interval.start) + 1) as f64 * scale)
                    .max(1.0),
                fill: colour(mean),
                relay_url: relay.to(&locus),
                title: format!("{sample} {locus}: mean {mean:.3}"),
            })
        })
        .collect();
    let label_y = TOP + rows * ROW_HEIGHT + 12;
    Some(SegmentPicture {
        width: WIDTH,
        height: label_y + 6,
        left: LEFT,
        samples: segments
            .samples
            .iter()
            .enumerate()
            .map(|(i, name)| Label {
                x: f64::from(LEFT - 6),
                y: TOP + i as u32 * ROW_HEIGHT + 11,
                text: name.clone(),
            })
            .collect(),
        chroms: names
            .iter()
            .enumerate()
            .map(|(i, name)| Label {
                x: x_of(i, lengths[i] / 2),
                y: label_y,
                text: name.to_string(),
            })
            .collect(),
        bounds: (1..names.len()).map(|i| x_of(i, 0)).collect(),
        rects,
        note: (segments.left_out > 0).then(|| {
            format!(
                "{} more segments (beyond the first {MAX_SEGMENTS}, or of samples past the first {MAX_SAMPLES}) are not drawn.",
                segments.left_out
            )
        }),
    })
}

/// Blue for a loss, white for none, red for a gain.
fn colour(mean: f32) -> String {
    let t = (mean / FULL_COLOUR).clamp(-1.0, 1.0);
    let fade = |full: u8| (255.0 - (255.0 - f32::from(full)) * t.abs()).round() as u8;
    let (r, g, b) = if t < 0.0 {
        (fade(33), fade(102), fade(172))
    } else {
        (fade(178), fade(24), fade(43))
    };
    format!("#{r:02x}{g:02x}{b:02x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_are_blue_gains_red_and_nothing_white() {
        assert_eq!(colour(0.0), "#ffffff");
        assert_eq!(colour(-3.0), "#2166ac");
        assert_eq!(colour(2.0), "#b2182b");
    }

    #[test]
    fn segments_stay_within_their_bounds() {
        let mut segments = Segments::default();
        for i in 0..(MAX_SAMPLES + 5) {
            segments.add(&format!("s{i}"), &Interval::new("1", 1, 10), 0.5);
        }
        assert_eq!(segments.samples.len(), MAX_SAMPLES);
        assert_eq!(segments.left_out, 5);
    }
}
