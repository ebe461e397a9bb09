//! Every format's record stream over arbitrary bytes, plain or gzipped.
//! Invariants: no panic; the stream ends (at most one item per line, plus
//! header notes); every record has one cell per column; rows stay within the
//! memory bounds of `formats::bounds`.
#![no_main]

use std::io::{Cursor, Write};

use igv_relay_fuzz::formats::{
    self, CoordBase, FormatKind, FormatOptions, Item, MAX_COLUMNS, MAX_FIELD_BYTES,
    MAX_ROW_TEXT_BYTES,
};
use libfuzzer_sys::fuzz_target;

const KINDS: [FormatKind; 9] = [
    FormatKind::Vcf,
    FormatKind::Bed,
    FormatKind::BedGraph,
    FormatKind::NarrowPeak,
    FormatKind::BroadPeak,
    FormatKind::Bedpe,
    FormatKind::Gff3,
    FormatKind::Gtf,
    FormatKind::Tabular,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Some((&columns, body)) = rest.split_first() else {
        return;
    };
    let kind = KINDS[usize::from(selector & 0x0f) % KINDS.len()];
    let column = |shift: u8| {
        let n = usize::from((columns >> shift) & 0b11);
        (n > 0).then_some(n)
    };
    let options = FormatOptions {
        coords: match selector >> 6 {
            1 => Some(CoordBase::Zero),
            2 => Some(CoordBase::One),
            _ => None,
        },
        chrom_col: column(0),
        start_col: column(2),
        end_col: column(4),
        // Small lines, so the too-long path is reached too.
        max_line_bytes: if selector & 0x10 != 0 { 64 } else { 4096 },
        ..FormatOptions::default()
    };
    let input = if selector & 0x20 != 0 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).expect("in memory");
        gz.finish().expect("in memory")
    } else {
        body.to_vec()
    };
    let Ok(mut stream) = formats::open(kind, Box::new(Cursor::new(input)), &options) else {
        return;
    };
    let width = stream.columns().len();
    assert!(width <= MAX_COLUMNS);
    let lines = body.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut items = 0;
    while let Ok(Some(item)) = stream.next_item() {
        items += 1;
        assert!(items <= 2 * lines + 2, "{kind:?}: more items than lines");
        match item {
            Item::Record(record) => {
                assert_eq!(record.cells.len(), width, "{kind:?}");
                let text: usize = record.cells.iter().map(String::len).sum();
                assert!(text <= MAX_ROW_TEXT_BYTES + 4 * width, "{kind:?}");
                assert!(record.label.len() <= MAX_FIELD_BYTES + 4);
                assert!(
                    !record.intervals.is_empty(),
                    "{kind:?}: a record without a locus"
                );
            }
            Item::Invalid { raw, message, .. } => {
                assert!(raw.len() <= MAX_FIELD_BYTES + 4);
                assert!(!message.is_empty());
            }
        }
    }
});
