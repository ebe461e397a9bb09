//! A row's locus and its two links (relay, IGV) as the exports write them,
//! in buffers reused for every row: no string per row, no `fmt` (building
//! and parsing a URL per row was a seventh of an export's time).

use crate::domain::genome::Genome;
use crate::domain::igv::encode_value;
use crate::domain::loci::Loci;
use crate::links::RowLink;
use crate::rows::Refusal;
use crate::view::FileView;

pub struct RowLinks<'v> {
    /// The relay link with the genome, and without it for rows on a sequence
    /// only the file lists (the relay's own table lacks it, so its links
    /// carry no genome; the locus was checked here).
    with_genome: RowLink,
    without_genome: RowLink,
    /// The genome without the file's own sequences, when it has any.
    base: Option<&'v Genome>,
    pub igv_prefix: String,
    /// The row's loci as IGV receives them, and percent-encoded.
    pub locus: String,
    pub encoded: String,
    pub relay: String,
}

impl<'v> RowLinks<'v> {
    pub fn new(view: &'v FileView<'_>) -> Self {
        let (with_genome, without_genome) = view.export_row_links();
        Self {
            with_genome,
            without_genome,
            base: view.base_genome(),
            igv_prefix: view.ctx.igv.goto_prefix(),
            locus: String::new(),
            encoded: String::new(),
            relay: String::new(),
        }
    }

    /// Makes the links of a row with these loci; `false` (and empty links)
    /// for a row that has none.
    pub fn set(&mut self, loci: &Result<Loci, Refusal>) -> bool {
        self.locus.clear();
        self.encoded.clear();
        self.relay.clear();
        let Ok(loci) = loci else {
            return false;
        };
        let _ = loci.write_canonical(&mut self.locus);
        self.encoded.extend(encode_value(&self.locus));
        let on_file_sequence = self.base.is_some_and(|base| {
            loci.as_slice()
                .iter()
                .any(|l| base.chromosome(l.chrom().as_str()).is_none())
        });
        let link = if on_file_sequence {
            &self.without_genome
        } else {
            &self.with_genome
        };
        link.push_encoded(&mut self.relay, [self.encoded.as_str()]);
        true
    }
}
