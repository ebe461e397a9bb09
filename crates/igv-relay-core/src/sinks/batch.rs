//! The IGV batch script of a view: it opens the genome and the file itself,
//! then takes one snapshot per linked row (`goto LOCUS`, `snapshot`).

use std::io;

use super::igv_session::SessionSpec;
use super::{ExportOut, RowLinks, genome_line};
use crate::rows::{Row, RowSink};
use crate::view::FileView;

pub struct BatchSink<'v, W: ExportOut> {
    out: W,
    links: RowLinks<'v>,
}

impl<'v, W: ExportOut> BatchSink<'v, W> {
    /// Writes the script's head: what it is, the genome, the tracks.
    pub fn new(view: &'v FileView<'_>, mut out: W) -> io::Result<Self> {
        writeln!(out, "# {}", genome_line(view))?;
        // A file name may hold a line break; unescaped, the rest of the
        // name would be run by IGV as a batch command.
        writeln!(
            out,
            "# IGV batch script from igv-relay for {}: one snapshot per record",
            view.source.export_name.replace(char::is_control, "?")
        )?;
        // A batch command is split at whitespace: only single words go in.
        let word =
            |s: &str| !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || c.is_control());
        let spec = SessionSpec::of(view);
        if let Some(genome) = spec.igv_genome.as_deref().filter(|g| word(g)) {
            writeln!(out, "genome {genome}")?;
        }
        for track in spec.tracks.iter().filter(|t| word(&t.url)) {
            match track.index.as_deref().filter(|i| word(i)) {
                Some(index) => writeln!(out, "load {} index={index}", track.url)?,
                None => writeln!(out, "load {}", track.url)?,
            }
        }
        writeln!(out, "snapshotDirectory snapshots")?;
        Ok(Self {
            out,
            links: RowLinks::new(view),
        })
    }

    pub fn finish(self) -> io::Result<W> {
        Ok(self.out)
    }
}

impl<W: ExportOut> RowSink for BatchSink<'_, W> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        if self.links.set(&row.loci) {
            writeln!(self.out, "goto {}\nsnapshot", self.links.locus)?;
        }
        Ok(())
    }
}
