//! VCF with noodles: the header parser and lazy records.
//!
//! Spans follow VCF 4.x §1.6.1 and §5 (<https://samtools.github.io/hts-specs/VCFv4.4.pdf>):
//! a sequence allele covers `REF`, a symbolic allele `<DEL>` covers `POS..=END` (or
//! `SVLEN`), and a breakend `N[chr2:3000[` also points at its mate.

use std::collections::VecDeque;
use std::error::Error;
use std::io::{self, BufRead};

use noodles::vcf;

use super::lines::Line;
use super::sv::{SvEvent, VcfSvFields};
use super::{
    FieldDef, FormatError, FormatKind, FormatOptions, Input, Interval, Item, LineHint, LineMatcher,
    Record, RecordStream, StreamPosition, VcfHeaderFields, VcfValues,
};

/// Header lines may be longer than data lines (many samples on `#CHROM`).
const HEADER_LINE_LIMIT: usize = 16 << 20;
/// A header larger than this is not a header we should hold in memory: parsed,
/// 64 MiB of `##contig` lines took 630 MB for one request; 16 MiB still fits
/// half a million scaffolds.
const HEADER_TOTAL_LIMIT: u64 = 16 << 20;

const FIXED_COLUMNS: [&str; 7] = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER"];

pub(crate) struct VcfStream {
    lines: Input,
    record: vcf::Record,
    columns: Vec<String>,
    contigs: Vec<(String, Option<u64>)>,
    samples: Vec<String>,
    /// Header indices of `samples`.
    sample_indices: Vec<usize>,
    /// Samples of the file that get no column.
    hidden_samples: usize,
    info_fields: Vec<String>,
    /// FORMAT keys shown per sample (GT alone by default).
    format_fields: Vec<String>,
    header_fields: VcfHeaderFields,
    /// [`super::FormatOptions::cells`].
    cells: bool,
    /// Whether [`RecordStream::current_values`] may be asked for: without
    /// cells or values, lines are read by [`fixed_columns`], not noodles.
    values_wanted: bool,
    /// Header lines noodles could not read; reported before the first record.
    queued: VecDeque<Item>,
    /// Lines without the text the caller's filter needs are passed over
    /// unparsed ([`RecordStream::set_line_hint`]).
    hint: Option<LineMatcher>,
}

fn header_error(line: Option<u64>, message: impl Into<String>) -> FormatError {
    FormatError::Header {
        kind: FormatKind::Vcf,
        line,
        message: message.into(),
    }
}

/// An error and its causes, since noodles puts the useful part in `source()`.
fn describe(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

impl VcfStream {
    pub(crate) fn open(mut lines: Input, options: &FormatOptions) -> Result<Self, FormatError> {
        let header_max = lines.max().max(HEADER_LINE_LIMIT);
        let mut parser = vcf::header::Parser::default();
        let mut queued = VecDeque::new();
        let mut total: u64 = 0;
        loop {
            let line = lines.next_line_within(header_max)?;
            let (number, bytes) = match line {
                None if total == 0 => return Err(header_error(None, "the file is empty")),
                None => {
                    return Err(header_error(
                        None,
                        "the file ends before the #CHROM header line",
                    ));
                }
                Some(Line::TooLong { number, len, .. }) => {
                    return Err(header_error(
                        Some(number),
                        format!("a header line is {len} bytes long, more than {header_max} bytes"),
                    ));
                }
                Some(Line::Text { number, bytes }) => (number, bytes),
            };
            total += bytes.len() as u64 + 1;
            if total > HEADER_TOTAL_LIMIT {
                return Err(header_error(
                    Some(number),
                    format!("the header is larger than {HEADER_TOTAL_LIMIT} bytes"),
                ));
            }
            if number == 1 {
                parser.parse_partial(bytes).map_err(|e| {
                    header_error(
                        Some(number),
                        format!(
                            "the first line must be ##fileformat=VCFv4.x ({})",
                            describe(&e)
                        ),
                    )
                })?;
            } else if bytes.starts_with(b"#CHROM") {
                parser
                    .parse_partial(bytes)
                    .map_err(|e| header_error(Some(number), describe(&e)))?;
                break;
            } else if bytes.starts_with(b"#") {
                // One odd meta line (a duplicate INFO, a typo in a Description) should
                // not hide every variant; it is reported and skipped.
                if let Err(e) = parser.parse_partial(bytes) {
                    queued.push_back(super::invalid(
                        number,
                        format!("header line skipped: {}", describe(&e)),
                        bytes,
                    ));
                }
            } else if !bytes.is_empty() {
                return Err(header_error(
                    Some(number),
                    "a data line comes before the #CHROM header line",
                ));
            }
        }
        let header = parser
            .finish()
            .map_err(|e| header_error(None, describe(&e)))?;

        let contigs = header
            .contigs()
            .iter()
            .map(|(name, contig)| (name.clone(), contig.length().map(|n| n as u64)))
            .collect();
        let header_fields = header_fields(&header);
        // One column per sample: a cohort of 100 000 would make every row (and
        // a page of them) enormous, so only the chosen ones, or the first few,
        // are shown, and never more than MAX_SAMPLE_COLUMNS.
        let sample_indices: Vec<usize> = if options.samples.is_empty() {
            (0..header_fields
                .samples
                .len()
                .min(super::DEFAULT_SAMPLE_COLUMNS))
                .collect()
        } else {
            let mut chosen: Vec<usize> = options
                .samples
                .iter()
                .filter_map(|name| header_fields.sample_index(name))
                .collect();
            chosen.dedup();
            chosen.truncate(super::MAX_SAMPLE_COLUMNS);
            chosen
        };
        let samples: Vec<String> = sample_indices
            .iter()
            .map(|&i| header_fields.samples[i].clone())
            .collect();
        let hidden_samples = header_fields.samples.len() - samples.len();
        let format_fields = if options.format_fields.is_empty() {
            vec!["GT".to_owned()]
        } else {
            options.format_fields.clone()
        };
        let info_fields = if options.info_fields.is_empty() {
            default_info_fields(&header)
        } else {
            // `[""]` asks for none (a column picker with nothing ticked).
            options
                .info_fields
                .iter()
                .filter(|key| !key.is_empty())
                .cloned()
                .collect()
        };
        let columns = FIXED_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .chain(info_fields.iter().cloned())
            .chain(samples.iter().cloned())
            .collect();
        Ok(VcfStream {
            lines,
            record: vcf::Record::default(),
            columns,
            contigs,
            samples,
            sample_indices,
            hidden_samples,
            info_fields,
            format_fields,
            header_fields,
            cells: options.cells,
            values_wanted: true,
            queued,
            hint: None,
        })
    }
}

/// The header's INFO/FORMAT definitions and samples, as plain text.
fn header_fields(header: &vcf::Header) -> VcfHeaderFields {
    use noodles::vcf::header::record::value::map::format::Number as FormatNumber;
    use noodles::vcf::header::record::value::map::info::Number as InfoNumber;
    fn info_number(number: InfoNumber) -> String {
        match number {
            InfoNumber::Count(n) => n.to_string(),
            InfoNumber::AlternateBases => "A".into(),
            InfoNumber::ReferenceAlternateBases => "R".into(),
            InfoNumber::Samples => "G".into(),
            InfoNumber::Unknown => ".".into(),
        }
    }
    fn format_number(number: FormatNumber) -> String {
        match number {
            FormatNumber::Count(n) => n.to_string(),
            FormatNumber::AlternateBases => "A".into(),
            FormatNumber::ReferenceAlternateBases => "R".into(),
            FormatNumber::Samples => "G".into(),
            _ => ".".into(),
        }
    }
    VcfHeaderFields {
        infos: header
            .infos()
            .iter()
            .map(|(id, info)| FieldDef {
                id: id.clone(),
                number: info_number(info.number()),
                kind: info.ty().to_string(),
                description: info.description().to_owned(),
            })
            .collect(),
        formats: header
            .formats()
            .iter()
            .map(|(id, format)| FieldDef {
                id: id.clone(),
                number: format_number(format.number()),
                kind: format.ty().to_string(),
                description: format.description().to_owned(),
            })
            .collect(),
        samples: header.sample_names().iter().cloned().collect(),
    }
}

/// The [`super::DEFAULT_INFO_FIELDS`] this file declares: an SNV call set would
/// otherwise show END, SVTYPE and SVLEN columns that are empty on every row.
/// A header that declares no INFO at all (hand-written files) keeps them all.
fn default_info_fields(header: &vcf::Header) -> Vec<String> {
    let infos = header.infos();
    super::DEFAULT_INFO_FIELDS
        .iter()
        .filter(|key| infos.is_empty() || infos.contains_key(**key))
        .map(|key| key.to_string())
        .collect()
}

impl RecordStream for VcfStream {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn contigs(&self) -> Option<&[(String, Option<u64>)]> {
        if self.contigs.is_empty() {
            None
        } else {
            Some(&self.contigs)
        }
    }

    fn samples(&self) -> &[String] {
        &self.samples
    }

    fn hidden_columns(&self) -> usize {
        self.hidden_samples
    }

    fn vcf_header(&self) -> Option<&VcfHeaderFields> {
        Some(&self.header_fields)
    }

    fn current_values(&self, samples: &[usize]) -> Option<VcfValues> {
        let record = &self.record;
        let quality = match record.quality_score() {
            Some(Ok(q)) => q.to_string(),
            _ => ".".to_owned(),
        };
        let columns = record.samples();
        let format = columns.keys().iter().collect::<Vec<_>>().join(":");
        let samples = samples
            .iter()
            .filter_map(|&i| Some((i, columns.iter().nth(i)?.as_ref().to_owned())))
            .collect();
        Some(VcfValues {
            id: record.ids().as_ref().to_owned(),
            reference: record.reference_bases().to_owned(),
            alternate: record.alternate_bases().as_ref().to_owned(),
            quality,
            filter: record.filters().as_ref().to_owned(),
            info: record.info().as_ref().to_owned(),
            format,
            samples,
        })
    }

    fn set_line_hint(&mut self, hint: &LineHint) {
        self.hint = hint.matcher();
    }

    fn set_values_wanted(&mut self, wanted: bool) {
        self.values_wanted = wanted;
    }

    fn position(&self) -> Option<StreamPosition> {
        self.queued
            .is_empty()
            .then(|| StreamPosition::of(&self.lines))
    }

    fn resume(&mut self, input: Box<dyn BufRead + Send>, at: StreamPosition) -> io::Result<()> {
        self.queued.clear();
        self.lines.restart(input, at.line, at.offset);
        Ok(())
    }

    fn skip_items(&mut self, n: u64) -> io::Result<u64> {
        let mut skipped = 0;
        while skipped < n && self.queued.pop_front().is_some() {
            skipped += 1;
        }
        while skipped < n {
            match self.lines.next_line()? {
                None => break,
                // As in `next_item`: every line but blank and `#` lines is one item.
                Some(Line::Text { bytes, .. }) if bytes.is_empty() || bytes[0] == b'#' => {}
                Some(Line::Text { bytes, .. })
                    if self.hint.as_ref().is_some_and(|h| !h.may_match(bytes)) => {}
                Some(_) => skipped += 1,
            }
        }
        Ok(skipped)
    }

    fn next_item(&mut self) -> io::Result<Option<Item>> {
        if let Some(item) = self.queued.pop_front() {
            return Ok(Some(item));
        }
        loop {
            let (number, bytes) = match super::next_line(&mut self.lines)? {
                None => return Ok(None),
                Some(Err(too_long)) => return Ok(Some(too_long)),
                Some(Ok(line)) => line,
            };
            // Blank lines and stray header lines (as in concatenated VCFs) carry no variant.
            if bytes.is_empty() || bytes.starts_with(b"#") {
                continue;
            }
            if let Some(hint) = &self.hint
                && !hint.may_match(bytes)
            {
                continue;
            }
            // Without cells or values only the fixed columns are read: noodles'
            // record copies the line and checks all of it is UTF-8, the biggest
            // part of a links-only export's instructions (BENCHMARKS.md, issue
            // 28). `self.record` is then stale, which is why this needs
            // `values_wanted` off.
            let quick = match self.cells || self.values_wanted {
                true => None,
                false => fixed_columns(bytes),
            };
            let parsed = match quick {
                Some(columns) => record_of(number, &columns),
                None => read_line(bytes, &mut self.record).and_then(|()| {
                    let cells = self.cells.then_some(Cells {
                        info_fields: &self.info_fields,
                        samples: &self.sample_indices,
                        format_fields: &self.format_fields,
                    });
                    to_record(number, &self.record, cells)
                }),
            };
            return Ok(Some(match parsed {
                Ok(record) => Item::Record(record),
                Err(message) => super::invalid(number, message, bytes),
            }));
        }
    }
}

fn read_line(bytes: &[u8], record: &mut vcf::Record) -> Result<(), String> {
    // Only whether there are 8: counting every tab of a cohort's line was
    // a scan of all its genotypes.
    let columns = memchr::memchr_iter(b'\t', bytes).take(7).count() + 1;
    if columns < 8 {
        return Err(format!(
            "expected at least 8 tab-separated columns (CHROM POS ID REF ALT QUAL FILTER INFO), \
             found {columns}"
        ));
    }
    // noodles checks that the line *without its tabs* is UTF-8, so bytes that
    // only become a character once a tab between them is gone pass, and CHROM
    // is then sliced inside that character (a panic; found by fuzzing, see
    // the test `a_line_that_is_not_utf8_is_a_line_not_a_panic`). So a line
    // that is not UTF-8 is repaired before noodles sees it, not after. The
    // check runs over every line: an ASCII line (almost every line) is
    // passed by `is_ascii`, a little cheaper than `from_utf8` (1% of an
    // export's instructions).
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_err() {
        return match repaired(bytes) {
            Some(line) => read_line(&line, record),
            None => Err("the line is not UTF-8 text".to_string()),
        };
    }
    match vcf::io::Reader::new(bytes).read_record(record) {
        Ok(0) => Err("the line is empty".to_string()),
        Ok(_) => Ok(()),
        // Only a line noodles refuses pays for the check and the copy.
        Err(e) => match repaired(bytes) {
            Some(line) => read_line(&line, record),
            None => Err(format!("not a valid VCF record: {}", describe(&e))),
        },
    }
}

/// A line htslib reads but noodles does not, rewritten as htslib reads it, or `None`
/// when there is nothing to repair:
/// - bytes that are not UTF-8 (a Latin-1 gene description in INFO: a real GRCh38
///   file in the corpus has one; htslib takes bytes, noodles wants text);
/// - an empty ID, ALT, QUAL, FILTER, INFO, FORMAT or sample column, which htslib
///   reads as missing (`.`). CHROM, POS and REF are not filled in: empty, they are
///   refused with a reason.
fn repaired(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    let mut changed = matches!(text, std::borrow::Cow::Owned(_));
    let mut out = Vec::with_capacity(bytes.len() + 8);
    for (i, field) in text.split('\t').enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        if field.is_empty() && (i == 2 || i >= 4) {
            out.push(b'.');
            changed = true;
        } else {
            out.extend_from_slice(field.as_bytes());
        }
    }
    changed.then_some(out)
}

/// What a record's cells show.
struct Cells<'a> {
    info_fields: &'a [String],
    /// Header indices of the samples shown.
    samples: &'a [usize],
    format_fields: &'a [String],
}

/// A record's fixed columns as noodles gives them: `.` read as empty in ID,
/// ALT, FILTER and INFO.
struct FixedColumns<'a> {
    chrom: &'a str,
    pos: u64,
    ids: &'a str,
    reference: &'a str,
    alt: &'a str,
    filter: &'a str,
    info: &'a str,
}

/// The fixed columns of a line noodles reads without an error, straight from
/// its bytes, or `None` for any line that is not plainly such a line (an
/// empty column, a POS that is not plain digits, a fixed column that is not
/// UTF-8, a FORMAT without samples...): those go through noodles and
/// [`read_line`], so every message and repair stays theirs, and a line read
/// here gives the record noodles' reading would. The checks mirror
/// `noodles_vcf::io::reader::record::read_record` (0.96): every column up to
/// INFO non-empty, and after INFO a FORMAT, then non-empty samples.
fn fixed_columns(bytes: &[u8]) -> Option<FixedColumns<'_>> {
    // One search for all the tabs: a search per column cost more in setting
    // up than in searching these short columns.
    let mut tabs = memchr::memchr_iter(b'\t', bytes);
    let mut ends = [0usize; 7];
    let mut start = 0;
    for end in &mut ends {
        let tab = tabs.next()?;
        if tab == start {
            return None;
        }
        *end = tab;
        start = tab + 1;
    }
    let info_end = match tabs.next() {
        None => bytes.len(),
        Some(tab) => {
            // FORMAT, a tab, then samples, none of them empty.
            let mut field_start = tab + 1;
            let mut sample_tabs = 0;
            for next in tabs {
                if next == field_start {
                    return None;
                }
                field_start = next + 1;
                sample_tabs += 1;
            }
            if sample_tabs == 0 || field_start == bytes.len() {
                return None;
            }
            tab
        }
    };
    if info_end == start {
        return None;
    }
    // Only the fixed columns need be text: the rest of a line that is not
    // would be repaired by [`read_line`] without touching them.
    let text = std::str::from_utf8(&bytes[..info_end]).ok()?;
    let column = |from: usize, to: usize| &text[from..to];
    let pos_text = column(ends[0] + 1, ends[1]);
    // As noodles: "0" is the telomere (no position), anything else a
    // positive whole number; noodles reads the odd ones ("+5", "00", more
    // digits than a u64 is sure to hold).
    let pos = match pos_text {
        "0" => 0,
        digits if digits.len() <= 18 => {
            let mut n = 0u64;
            for digit in digits.bytes() {
                if !digit.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u64::from(digit - b'0');
            }
            if n == 0 {
                return None;
            }
            n
        }
        _ => return None,
    };
    Some(FixedColumns {
        chrom: column(0, ends[0]),
        pos,
        ids: missing(column(ends[1] + 1, ends[2])),
        reference: column(ends[2] + 1, ends[3]),
        alt: missing(column(ends[3] + 1, ends[4])),
        filter: missing(column(ends[5] + 1, ends[6])),
        info: missing(column(ends[6] + 1, info_end)),
    })
}

/// What noodles reads a missing (`.`) ID, ALT, FILTER or INFO as.
fn missing(value: &str) -> &str {
    if value == "." { "" } else { value }
}

/// `cells`: what to show, or `None` for a record without cells (exports).
fn to_record(line: u64, record: &vcf::Record, cells: Option<Cells<'_>>) -> Result<Record, String> {
    let chrom = record.reference_sequence_name();
    if chrom.is_empty() {
        return Err("CHROM is empty".to_string());
    }
    // POS 0 is the telomere before the first base (VCF §1.6.1); kept as 0, not invented.
    let pos = match record.variant_start() {
        None => 0,
        Some(Ok(position)) => position.get() as u64,
        Some(Err(e)) => return Err(format!("POS is not a valid position: {e}")),
    };
    let (ids, alt, filters, info) = (
        record.ids(),
        record.alternate_bases(),
        record.filters(),
        record.info(),
    );
    let columns = FixedColumns {
        chrom,
        pos,
        ids: ids.as_ref(),
        reference: record.reference_bases(),
        alt: alt.as_ref(),
        filter: filters.as_ref(),
        info: info.as_ref(),
    };
    let mut out = record_of(line, &columns)?;
    let Some(Cells {
        info_fields,
        samples,
        format_fields,
    }) = cells
    else {
        return Ok(out);
    };
    let FixedColumns {
        chrom,
        pos,
        ids,
        reference,
        alt,
        filter,
        info,
    } = columns;
    let quality = match record.quality_score() {
        None => ".".to_string(),
        Some(Ok(q)) => q.to_string(),
        Some(Err(_)) => return Err("QUAL is not a number".to_string()),
    };
    let mut cells = Vec::with_capacity(FIXED_COLUMNS.len() + info_fields.len() + samples.len());
    cells.extend([
        chrom.to_string(),
        pos.to_string(),
        ids.to_string(),
        reference.to_string(),
        alt.to_string(),
        quality,
        filter.to_string(),
    ]);
    for key in info_fields {
        cells.push(match info_value(info, key) {
            None => String::new(),
            Some(None) => "yes".to_string(),
            Some(Some(value)) => value.to_string(),
        });
    }
    cells.extend(sample_cells(record, samples, format_fields));
    out.cells = cells;
    Ok(out)
}

/// A record without cells from its fixed columns.
fn record_of(line: u64, columns: &FixedColumns<'_>) -> Result<Record, String> {
    let &FixedColumns {
        chrom,
        pos,
        ids,
        reference,
        alt,
        filter,
        info,
    } = columns;
    if reference.is_empty() {
        return Err("REF is empty".to_string());
    }
    let (span, sv) = variant_span_and_sv(chrom, pos, reference, alt, info)?;
    let label = if ids.is_empty() || ids == "." {
        // `CHROM:POS REF>ALT`, put together without `format!` (every record
        // of an unannotated call set takes this path). Without an ALT (`.`, a
        // reference call or a gVCF block) there is no change to show: `CHROM:POS REF`.
        let mut pos_text = itoa::Buffer::new();
        let pos = pos_text.format(pos);
        let no_alt = alt.is_empty() || alt == ".";
        let (arrow, alt) = if no_alt { ("", "") } else { (">", alt) };
        let mut label =
            String::with_capacity(chrom.len() + pos.len() + reference.len() + alt.len() + 3);
        for part in [chrom, ":", pos, " ", reference, arrow, alt] {
            label.push_str(part);
        }
        label
    } else {
        ids.to_string()
    };
    let filter_pass = match filter {
        "." | "" => None,
        "PASS" => Some(true),
        _ => Some(false),
    };
    Ok(Record {
        line,
        intervals: span,
        sv,
        label,
        cells: Vec::new(),
        filter_pass,
    })
}

/// The raw value of one INFO key: `None` if absent, `Some(None)` for a flag.
///
/// Read as written rather than through noodles' typed values: noodles rejects a value
/// that disagrees with its header definition, and one odd INFO value should not hide the
/// variant or change how it is shown.
fn info_value<'a>(info: &'a str, key: &str) -> Option<Option<&'a str>> {
    if info == "." {
        return None;
    }
    info.split(';')
        .find_map(|field| match field.split_once('=') {
            Some((k, v)) if k == key => Some(Some(v)),
            None if field == key => Some(None),
            _ => None,
        })
}

/// The parts of `text` between `separator`s (none for an empty text): the
/// same as `str::split` on a character, by a plain byte loop, which is faster
/// on the short fields of a VCF line (these run for every record).
fn split_ascii(text: &str, separator: u8) -> impl Iterator<Item = &str> {
    debug_assert!(separator.is_ascii());
    let mut rest = (!text.is_empty()).then_some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.bytes().position(|b| b == separator) {
            Some(i) => {
                rest = Some(&current[i + 1..]);
                Some(&current[..i])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

/// [`info_value`] of several keys in one pass; the first occurrence of each counts.
fn info_values<'a, const N: usize>(info: &'a str, keys: [&str; N]) -> [Option<Option<&'a str>>; N] {
    let mut found = [None; N];
    if info == "." {
        return found;
    }
    for field in split_ascii(info, b';') {
        let (key, value) = match field.bytes().position(|b| b == b'=') {
            // `=` is ASCII: both sides start on character boundaries.
            Some(i) => (&field[..i], Some(&field[i + 1..])),
            None => (field, None),
        };
        if let Some(i) = keys.iter().position(|k| *k == key)
            && found[i].is_none()
        {
            found[i] = Some(value);
        }
    }
    found
}

/// The one place VCF positions become intervals (already 1-based inclusive).
///
/// The first interval is `CHROM:POS..=end` where `end` is the maximum over the ALT
/// alleles: `POS + len(REF) - 1` for sequence alleles, `INFO/END` or else
/// `POS + |SVLEN| - 1` for symbolic alleles. Each breakend with a mate adds the mate
/// position as another interval, and so does `CHR2` naming another chromosome
/// (Delly, svtools: `END` is then the position on `CHR2`, not this event's end).
#[cfg(test)]
fn variant_span(
    chrom: &str,
    pos: u64,
    reference: &str,
    alt: &str,
    info: &str,
) -> Result<Vec<Interval>, String> {
    variant_span_and_sv(chrom, pos, reference, alt, info).map(|(span, _)| span)
}

/// [`variant_span`], and the record's structural variant ([`SvEvent`]) when
/// it is one, from the same pass over INFO.
fn variant_span_and_sv(
    chrom: &str,
    pos: u64,
    reference: &str,
    alt: &str,
    info: &str,
) -> Result<(Vec<Interval>, Option<Box<SvEvent>>), String> {
    let ref_end = (pos + reference.len() as u64).saturating_sub(1);
    // One pass over INFO for every key: this runs for every record.
    let [end_value, svlen_value, svtype_value, chr2_value] =
        info_values(info, ["END", "SVLEN", "SVTYPE", "CHR2"]);
    let info_end = match end_value.flatten() {
        None | Some(".") => None,
        Some(value) => Some(
            value
                .parse::<u64>()
                .map_err(|_| format!("INFO END is not a whole number: {value:?}"))?,
        ),
    };
    // CHR2 on another chromosome: END is the mate's position there.
    let other_chr2 = chr2_value
        .flatten()
        .filter(|c| !c.is_empty() && *c != "." && *c != chrom);
    let own_end = if other_chr2.is_some() { None } else { info_end };
    let svlen_text = svlen_value.flatten();
    let svlens: Vec<Option<u64>> = match svlen_text {
        None => Vec::new(),
        Some(values) => values
            .split(',')
            .map(|v| v.parse::<i64>().ok().map(i64::unsigned_abs))
            .collect(),
    };
    let alleles = if alt == "." || alt.is_empty() {
        ""
    } else {
        alt
    };

    let mut intervals = vec![Interval::new(chrom, pos, ref_end)];
    let mut end: Option<u64> = None;
    for (i, allele) in split_ascii(alleles, b',').enumerate() {
        let allele_end = if is_symbolic(allele) {
            // SVLEN is one value per ALT allele since VCF 4.4, a single value before.
            let svlen = svlens.get(i).or_else(|| svlens.first()).copied().flatten();
            match (own_end, svlen) {
                (Some(e), _) => e,
                (None, Some(len)) => (pos + len).saturating_sub(1),
                (None, None) => ref_end,
            }
        } else {
            if let Some(mate) = breakend_mate(allele)?
                && !intervals.contains(&mate)
            {
                intervals.push(mate);
            }
            ref_end
        };
        end = Some(end.map_or(allele_end, |e| e.max(allele_end)));
    }
    if let (Some(chr2), Some(at)) = (other_chr2, info_end)
        && intervals.len() == 1
    {
        intervals.push(Interval::new(chr2, at, at));
    }
    // No ALT (a reference block): END, if given, says how far the block reaches.
    intervals[0].end = end.or(own_end).unwrap_or(ref_end);
    let svtype = svtype_value.flatten();
    // Only records that can be structural variants pay for the event.
    let sv = if svtype.is_some() || intervals.len() > 1 || alleles.contains('<') {
        SvEvent::of_vcf(&VcfSvFields {
            chrom,
            pos,
            alt: alleles,
            svtype,
            svlen: svlen_text,
            end: own_end,
            mate: intervals.get(1),
        })
        .map(Box::new)
    } else {
        None
    };
    Ok((intervals, sv))
}

fn is_symbolic(allele: &str) -> bool {
    allele.starts_with('<') && allele.ends_with('>')
}

/// The mate of a breakend allele (`N[chr2:3000[`, `N]chr2:3000]`, `]chr2:3000]N`,
/// `[chr2:3000[N`; VCF §5.4), or `None` for other alleles and single breakends (`N.`).
fn breakend_mate(allele: &str) -> Result<Option<Interval>, String> {
    let Some(open) = allele.find(['[', ']']) else {
        return Ok(None);
    };
    let bracket = allele[open..].chars().next().unwrap_or('[');
    let rest = &allele[open + 1..];
    let Some(close) = rest.find(bracket) else {
        return Err(format!("breakend ALT {allele:?} has no closing {bracket}"));
    };
    let mate = &rest[..close];
    let Some((mate_chrom, mate_pos)) = mate.rsplit_once(':') else {
        return Err(format!(
            "breakend ALT {allele:?} has no mate position (chrom:pos)"
        ));
    };
    let mate_chrom = mate_chrom
        .strip_prefix('<')
        .and_then(|c| c.strip_suffix('>'))
        .unwrap_or(mate_chrom);
    let mate_pos = mate_pos
        .parse::<u64>()
        .map_err(|_| format!("breakend ALT {allele:?} has a mate position that is not a number"))?;
    if mate_chrom.is_empty() {
        return Err(format!(
            "breakend ALT {allele:?} has an empty mate chromosome"
        ));
    }
    Ok(Some(Interval::new(mate_chrom, mate_pos, mate_pos)))
}

/// For each sample shown, its `format_fields` values as written, `:`-joined
/// (`.` for a key the record lacks); empty when the record has no FORMAT.
fn sample_cells(record: &vcf::Record, samples: &[usize], format_fields: &[String]) -> Vec<String> {
    let columns = record.samples();
    let keys = columns.keys();
    if keys.iter().next().is_none() {
        return vec![String::new(); samples.len()];
    }
    let positions: Vec<Option<usize>> = format_fields
        .iter()
        .map(|field| keys.iter().position(|key| key == field.as_str()))
        .collect();
    if positions.iter().all(Option::is_none) {
        return vec![String::new(); samples.len()];
    }
    let mut out = vec![String::new(); samples.len()];
    // Samples are read once, in file order (a cohort line holds thousands).
    let mut order: Vec<(usize, usize)> = samples.iter().enumerate().map(|(o, &s)| (s, o)).collect();
    order.sort_unstable();
    let mut next = order.iter().peekable();
    for (index, column) in columns.iter().enumerate() {
        let Some(&&(sample, slot)) = next.peek() else {
            break;
        };
        if index < sample {
            continue;
        }
        next.next();
        let values: Vec<&str> = column.as_ref().split(':').collect();
        let mut cell = String::new();
        for (i, position) in positions.iter().enumerate() {
            if i > 0 {
                cell.push(':');
            }
            cell.push_str(position.and_then(|p| values.get(p).copied()).unwrap_or("."));
        }
        out[slot] = cell;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_text(text: String) -> Result<Box<dyn RecordStream + Send>, FormatError> {
        let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(text));
        super::super::open(FormatKind::Vcf, input, &FormatOptions::default())
    }

    /// Found by `scripts/fuzz.sh` (formats, issue 17): a line that is not UTF-8
    /// made noodles slice CHROM inside a character and panic. It is read as
    /// htslib reads it (bytes), like any other line that is not UTF-8.
    #[test]
    fn a_line_that_is_not_utf8_is_a_line_not_a_panic() {
        // The fuzz target's input: a selector byte (0: VCF), a columns byte, the file.
        let bytes = include_bytes!("../../tests/fixtures/fuzz/vcf-chrom-not-char-boundary.bin");
        let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(&bytes[2..]));
        let mut stream =
            super::super::open(FormatKind::Vcf, input, &FormatOptions::default()).unwrap();
        let mut items = 0;
        while let Some(_item) = stream.next_item().unwrap() {
            items += 1;
        }
        assert!(items > 0);
    }

    #[test]
    fn split_ascii_splits_as_str_split_does() {
        for text in ["a", "a;b", ";", "a;;b;", ";x", "DP=3;AF=0.5;é=ü;"] {
            let ours: Vec<&str> = split_ascii(text, b';').collect();
            let std: Vec<&str> = text.split(';').collect();
            assert_eq!(ours, std, "{text:?}");
        }
        assert_eq!(split_ascii("", b';').count(), 0);
    }

    #[test]
    fn records_without_cells_have_the_same_loci_labels_and_filters() {
        let text = "##fileformat=VCFv4.2\n\
            #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts1\n\
            chr1\t5\t.\tA\tG\t12.5\tPASS\tDP=3\tGT\t0/1\n\
            chr1\t9\trs9\tAC\tA\t.\tq10\t.\tGT\t1/1\n\
            chr2\t100\t.\tN\t<DEL>\t.\t.\tSVLEN=-50;END=149\tGT\t0/1\n\
            chr2\t7\t.\tA\tA[chr3:300[\t.\t.\t.\tGT\t0/1\n\
            chr2\tx\t.\tA\tG\t.\t.\t.\tGT\t0/1\n";
        let read = |cells: bool| {
            let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(text));
            let options = FormatOptions {
                cells,
                ..FormatOptions::default()
            };
            let mut stream = super::super::open(FormatKind::Vcf, input, &options).unwrap();
            let mut items = Vec::new();
            while let Some(item) = stream.next_item().unwrap() {
                items.push(item);
            }
            items
        };
        let (full, bare) = (read(true), read(false));
        assert_eq!(full.len(), 5);
        for (full, bare) in full.iter().zip(&bare) {
            match (full, bare) {
                (Item::Record(f), Item::Record(b)) => {
                    assert!(!f.cells.is_empty() && b.cells.is_empty());
                    assert_eq!(
                        (f.line, &f.intervals, &f.label, f.filter_pass),
                        (b.line, &b.intervals, &b.label, b.filter_pass)
                    );
                }
                (f, b) => assert_eq!(f, b),
            }
        }
        let Item::Record(first) = &bare[0] else {
            panic!("{:?}", bare[0])
        };
        assert_eq!(first.label, "chr1:5 A>G");
    }

    /// 64 MiB of `##contig` lines took 630 MB to parse for one request.
    #[test]
    fn a_header_past_the_total_limit_is_refused_before_it_is_parsed() {
        let mut text = String::from("##fileformat=VCFv4.2\n");
        let mut i = 0;
        while text.len() as u64 <= HEADER_TOTAL_LIMIT {
            text.push_str(&format!("##contig=<ID=c{i},length=9>\n"));
            i += 1;
        }
        text.push_str("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
        let Err(err) = open_text(text) else {
            panic!("a {HEADER_TOTAL_LIMIT}-byte header was accepted")
        };
        assert!(err.to_string().contains("larger than"), "{err}");
    }

    #[test]
    fn a_cohort_shows_the_first_samples_and_counts_the_rest() {
        let samples = super::super::MAX_SAMPLE_COLUMNS + 5;
        let mut text = String::from(
            "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT",
        );
        for i in 0..samples {
            text.push_str(&format!("\ts{i}"));
        }
        text.push_str("\nchr1\t5\t.\tA\tG\t.\t.\t.\tGT:DP");
        for i in 0..samples {
            text.push_str(&format!("\t0/1:{i}"));
        }
        text.push('\n');
        let mut stream = open_text(text.clone()).unwrap();
        let shown = super::super::DEFAULT_SAMPLE_COLUMNS;
        assert_eq!(stream.samples().len(), shown);
        assert_eq!(stream.hidden_columns(), samples - shown);
        let Some(Item::Record(record)) = stream.next_item().unwrap() else {
            panic!("a record")
        };
        assert_eq!(record.cells.len(), stream.columns().len());
        assert_eq!(record.cells.last().map(String::as_str), Some("0/1"));

        // Chosen samples (never more than the cap), with chosen FORMAT keys.
        let options = FormatOptions {
            samples: (0..samples).rev().map(|i| format!("s{i}")).collect(),
            format_fields: vec!["GT".into(), "DP".into(), "GQ".into()],
            ..FormatOptions::default()
        };
        let input: Box<dyn std::io::BufRead + Send> = Box::new(std::io::Cursor::new(text));
        let mut stream = super::super::open(FormatKind::Vcf, input, &options).unwrap();
        assert_eq!(stream.samples().len(), super::super::MAX_SAMPLE_COLUMNS);
        assert_eq!(stream.samples()[0], format!("s{}", samples - 1));
        assert_eq!(stream.hidden_columns(), 5);
        let Some(Item::Record(record)) = stream.next_item().unwrap() else {
            panic!("a record")
        };
        let first_sample = record.cells.len() - super::super::MAX_SAMPLE_COLUMNS;
        assert_eq!(record.cells[first_sample], format!("0/1:{}:.", samples - 1));
        let values = stream.current_values(&[3]).expect("VCF values");
        assert_eq!(values.sample_value(3, "DP"), Some("3"));
        assert_eq!(values.sample_value(4, "DP"), None);
        assert_eq!(values.quality, ".");
    }

    fn span(pos: u64, reference: &str, alt: &str, info: &str) -> Vec<(String, u64, u64)> {
        variant_span("chr1", pos, reference, alt, info)
            .expect("valid")
            .into_iter()
            .map(|i| (i.chrom, i.start, i.end))
            .collect()
    }

    #[test]
    fn snv_covers_one_base() {
        assert_eq!(span(10, "A", "G", "."), vec![("chr1".into(), 10, 10)]);
    }

    #[test]
    fn deletion_covers_the_reference_bases() {
        assert_eq!(span(100, "ACGT", "A", "."), vec![("chr1".into(), 100, 103)]);
    }

    #[test]
    fn symbolic_deletion_uses_info_end() {
        assert_eq!(
            span(1000, "N", "<DEL>", "SVTYPE=DEL;END=5000"),
            vec![("chr1".into(), 1000, 5000)]
        );
    }

    #[test]
    fn symbolic_allele_without_end_uses_absolute_svlen() {
        assert_eq!(
            span(1000, "N", "<DEL>", "SVLEN=-400"),
            vec![("chr1".into(), 1000, 1399)]
        );
    }

    #[test]
    fn symbolic_end_before_pos_is_kept_honest() {
        assert_eq!(
            span(1000, "N", "<DEL>", "END=500"),
            vec![("chr1".into(), 1000, 500)]
        );
    }

    #[test]
    fn breakend_adds_the_mate_interval() {
        assert_eq!(
            span(500, "N", "N[chr2:3000[", "SVTYPE=BND"),
            vec![("chr1".into(), 500, 500), ("chr2".into(), 3000, 3000)]
        );
        assert_eq!(
            span(500, "N", "]<ctg 1>:7]N", "SVTYPE=BND"),
            vec![("chr1".into(), 500, 500), ("ctg 1".into(), 7, 7)]
        );
    }

    #[test]
    fn chr2_on_another_chromosome_is_the_mate_and_end_lies_there() {
        // Delly's translocation: END is the position on CHR2, not this end's.
        assert_eq!(
            span(1000, "N", "<TRA>", "SVTYPE=TRA;CHR2=chr5;END=3000"),
            vec![("chr1".into(), 1000, 1000), ("chr5".into(), 3000, 3000)]
        );
        // Delly's BND names its mate twice (ALT and CHR2/END): one mate.
        assert_eq!(
            span(1000, "N", "N]chr5:3000]", "SVTYPE=BND;CHR2=chr5;END=3000"),
            vec![("chr1".into(), 1000, 1000), ("chr5".into(), 3000, 3000)]
        );
        // CHR2 on the same chromosome changes nothing.
        assert_eq!(
            span(1000, "N", "<DEL>", "SVTYPE=DEL;CHR2=chr1;END=3000"),
            vec![("chr1".into(), 1000, 3000)]
        );
    }

    #[test]
    fn records_carry_their_structural_variant() {
        let sv = |alt: &str, info: &str| {
            variant_span_and_sv("chr1", 1000, "N", alt, info)
                .unwrap()
                .1
                .map(|sv| sv.badge())
        };
        assert_eq!(
            sv("<DEL>", "SVTYPE=DEL;END=13300"),
            Some("DEL 12.3 kb".into())
        );
        assert_eq!(
            sv("<TRA>", "SVTYPE=TRA;CHR2=chr5;END=3000"),
            Some("TRA inter-chromosomal".into())
        );
        assert_eq!(sv("N[chr1:3000[", "."), Some("BND 2.0 kb".into()));
        assert_eq!(sv("G", "DP=5"), None);
    }

    #[test]
    fn single_breakend_has_no_mate() {
        assert_eq!(span(500, "G", "G.", "."), vec![("chr1".into(), 500, 500)]);
    }

    #[test]
    fn broken_breakend_is_an_error() {
        assert!(variant_span("chr1", 5, "N", "N[chr2[", ".").is_err());
        assert!(variant_span("chr1", 5, "N", "N[chr2:x[", ".").is_err());
    }

    #[test]
    fn info_value_finds_flags_and_values() {
        assert_eq!(info_value("DP=3;IMPRECISE;AF=0.5", "AF"), Some(Some("0.5")));
        assert_eq!(info_value("DP=3;IMPRECISE;AF=0.5", "IMPRECISE"), Some(None));
        assert_eq!(info_value("DP=3", "END"), None);
        assert_eq!(info_value(".", "DP"), None);
    }

    /// A line's record read by [`fixed_columns`], or `None`, and read by noodles.
    fn both_ways(line: &str) -> (Option<Result<Record, String>>, Result<Record, String>) {
        let bytes = line.as_bytes();
        let quick = fixed_columns(bytes).map(|columns| record_of(7, &columns));
        let mut record = vcf::Record::default();
        let noodles = read_line(bytes, &mut record).and_then(|()| to_record(7, &record, None));
        (quick, noodles)
    }

    #[test]
    fn a_line_read_without_noodles_gives_noodles_record_or_goes_to_noodles() {
        let read_quickly = [
            "chr1\t100\trs1\tA\tG\t50\tPASS\tDP=3",
            "chr1\t100\t.\tA\tG,<DEL>\t.\t.\tEND=150;SVLEN=-50",
            "chr1\t0\t.\tN\t.\t.\tq10\t.",
            "chr1\t007\t.\tAC\tA\t.\tPASS\t.\tGT\t0/1",
            "chr1\t5\t.\tA\tN[chr2:300[\t.\tPASS\t.\tGT:DP\t0/1:3\t1/1:.",
            "chr1\t5\t.\tA\tT\t.\tPASS\tEND=x",
            "chr1\t5\t.\tA\tN[chr2:x[\t.\tPASS\t.",
            "chr1\t5\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t\u{e9}",
            "chr\u{e9}\t5\tid\u{e9}\tA\tT\t.\tPASS\tGENE=\u{e9}",
        ];
        for line in read_quickly {
            let (quick, noodles) = both_ways(line);
            assert_eq!(quick, Some(noodles), "{line:?}");
        }
        let left_to_noodles = [
            "chr1\t+5\t.\tA\tT\t.\tPASS\t.",
            "chr1\t00\t.\tA\tT\t.\tPASS\t.",
            "chr1\t99999999999999999999\t.\tA\tT\t.\tPASS\t.",
            "chr1\t.\t.\tA\tT\t.\tPASS\t.",
            "chr1\t5\t\tA\tT\t.\tPASS\t.",
            "\t5\t.\tA\tT\t.\tPASS\t.",
            "chr1\t5\t.\tA\tT\t.\tPASS\t",
            "chr1\t5\t.\tA\tT\t.\tPASS",
            "chr1\t5\t.\tA\tT\t.\tPASS\t.\tGT",
            "chr1\t5\t.\tA\tT\t.\tPASS\t.\tGT\t",
            "chr1\t5\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t",
            "chr1\t5\t.\tA\tT\t.\tPASS\t.\tGT\t\t0/1",
            "chr1\t5\t.\tA\tT\t.\tPASS\t.\t\t0/1",
        ];
        for line in left_to_noodles {
            assert!(both_ways(line).0.is_none(), "{line:?}");
        }
        // Bytes that are not UTF-8: in the fixed columns, noodles' repair
        // decides; after them, the record is the repaired line's.
        let mut latin1 = b"chr1\t5\t.\tA\tT\t.\tPASS\t.\tGT\t0/1\t".to_vec();
        latin1.push(0xe9);
        let mut record = vcf::Record::default();
        let noodles = read_line(&latin1, &mut record).and_then(|()| to_record(7, &record, None));
        let quick = fixed_columns(&latin1).map(|columns| record_of(7, &columns));
        assert_eq!(quick, Some(noodles));
        let mut in_id = b"chr1\t5\tid".to_vec();
        in_id.extend([0xe9, b'\t']);
        in_id.extend(b"A\tT\t.\tPASS\t.");
        assert!(fixed_columns(&in_id).is_none());
    }
}
