//! A genomic locus as IGV's `/goto` understands it, parsed strictly enough that
//! IGV can never be handed something that freezes or kills its command port.
//!
//! Why strict: IGV answers every `/goto` with 204 whatever it understood. A bad
//! locus opens a modal dialog that blocks the port for every client, and some
//! strings (`KRAS:G1,2C`, a malformed `%` escape) kill its listener until IGV is
//! restarted (shared/reference/igv-port.md §3, §5). So only three shapes pass:
//! `CHR`, `CHR:POS` and `CHR:START-END`, 1-based and inclusive like IGV's box.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// IGV parses positions with `Integer.parseInt`, so a Java `int` is the limit.
pub const MAX_POSITION: u64 = 2_147_483_647;

/// Chromosome names longer than this are not real sequence names.
const MAX_NAME_LEN: usize = 128;

/// A chromosome (sequence) name from a safe alphabet.
///
/// Allowed: ASCII letters, digits and `_ . - | * +`, starting with a letter,
/// a digit or `_`. Excluded on purpose: `:` (IGV splits the locus on the last
/// colon), `%` (IGV percent-decodes once more), whitespace (IGV splits several
/// loci on it), quotes and `!` (IGV strips or interprets them), markup and
/// control characters. This covers UCSC (`chr1`, `chrUn_KI270302v1`), Ensembl
/// (`1`, `MT`, `GL000220.1`), RefSeq (`NC_000001.11`) and HLA-free assemblies.
///
/// Shared, not copied: every row of a file names one of a few chromosomes, and
/// a clone per row was an allocation per row.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChromName(Arc<str>);

impl ChromName {
    pub fn parse(name: &str) -> Result<Self, LocusError> {
        if name.is_empty() {
            return Err(LocusError::EmptyChromosome);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(LocusError::ChromosomeTooLong(MAX_NAME_LEN));
        }
        // Bytes, not chars: every allowed character is ASCII, so the first
        // byte that is not one starts the character to name.
        if let Some(at) = name.bytes().position(|b| !is_name_byte(b)) {
            let bad = name[at..].chars().next().unwrap_or_default();
            return Err(LocusError::ChromosomeCharacter(bad));
        }
        let first = name.as_bytes()[0];
        if !(first.is_ascii_alphanumeric() || first == b'_') {
            return Err(LocusError::ChromosomeStart(first as char));
        }
        Ok(Self(Arc::from(name)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a bare name (no coordinates) plausibly names a sequence rather
    /// than a gene. IGV resolves unknown words as feature names, and an
    /// unknown feature opens its blocking dialog, so without a genome to check
    /// against we only forward bare names that look like sequence names.
    pub fn looks_like_sequence_name(&self) -> bool {
        let n: &str = &self.0;
        let lower = n.to_ascii_lowercase();
        lower.starts_with("chr")
            || n.bytes().all(|b| b.is_ascii_digit())
            || matches!(n, "X" | "Y" | "M" | "MT" | "W" | "Z")
            || n.contains('_')
            || n.contains('.')
    }
}

fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

/// The bytes of [`is_name_byte`], looked up rather than compared six ways
/// per byte (the relay checks a name per request).
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'|' | b'*' | b'+');
        b += 1;
    }
    table
};

impl fmt::Display for ChromName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which part of a chromosome a locus covers, 1-based inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Span {
    /// The whole chromosome: `chr2`.
    Whole,
    /// One base: `chr1:1500` (IGV centres a 40 bp window on it).
    Position(u64),
    /// `chr1:1001-2000`, with `1 <= start <= end <= MAX_POSITION`.
    Range { start: u64, end: u64 },
}

/// One locus IGV can show without opening a dialog (given a valid chromosome).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Locus {
    chrom: ChromName,
    span: Span,
}

impl Locus {
    /// Parses `CHR`, `CHR:POS` or `CHR:START-END`; thousands commas are allowed
    /// in numbers (`chr7:140,453,036-140,453,236`).
    ///
    /// Byte by byte where the text is ASCII (the relay parses a locus per
    /// request; `char` iteration was half of this function's 1.7k
    /// instructions), with the same errors as the `char` checks they stand for.
    pub fn parse(input: &str) -> Result<Self, LocusError> {
        if let Some(locus) = Self::parse_plain(input) {
            return Ok(locus);
        }
        let text = input.trim();
        if text.is_empty() {
            return Err(LocusError::Empty);
        }
        // ASCII controls and whitespace are the bytes up to the space and
        // DEL; from the first non-ASCII byte on, only `char`s can tell.
        if let Some(at) = text.bytes().position(|b| b <= b' ' || b >= 0x7f)
            && let Some(bad) = text[at..]
                .chars()
                .find(|c| c.is_control() || c.is_whitespace())
        {
            return Err(LocusError::Character(bad));
        }
        let Some((name, coords)) = split_at_byte(text, b':') else {
            let chrom = ChromName::parse(text)?;
            return Ok(Self {
                chrom,
                span: Span::Whole,
            });
        };
        let chrom = ChromName::parse(name)?;
        if coords.bytes().any(|b| b == b':') {
            return Err(LocusError::ExtraColon);
        }
        let span = match split_at_byte(coords, b'-') {
            None => Span::Position(parse_position(coords, "position")?),
            Some((start, end)) => {
                if start.is_empty() {
                    return Err(LocusError::Negative);
                }
                let start = parse_position(start, "start")?;
                let end = parse_position(end, "end")?;
                if start > end {
                    return Err(LocusError::StartAfterEnd { start, end });
                }
                Span::Range { start, end }
            }
        };
        Ok(Self { chrom, span })
    }

    /// `CHR:START-END` or `CHR:POS` written plainly (no thousands commas,
    /// nothing to refuse), in one pass over the bytes: the shape of nearly
    /// every link (1.0k instructions through the checks below, 0.3k here).
    /// `None` for anything else, which [`Locus::parse`] then accepts or
    /// explains; what this accepts, that accepts alike (tests below).
    fn parse_plain(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let colon = bytes.iter().position(|&b| !is_name_byte(b))?;
        let first = bytes[0];
        if bytes[colon] != b':'
            || colon == 0
            || colon > MAX_NAME_LEN
            || !(first.is_ascii_alphanumeric() || first == b'_')
        {
            return None;
        }
        let (start, rest) = plain_position(&bytes[colon + 1..])?;
        let span = match rest {
            [] => Span::Position(start),
            [b'-', end @ ..] => match plain_position(end)? {
                (end, []) if start <= end => Span::Range { start, end },
                _ => return None,
            },
            _ => return None,
        };
        Some(Self {
            chrom: ChromName(Arc::from(&text[..colon])),
            span,
        })
    }

    /// Builds a locus from already-converted 1-based inclusive coordinates, as
    /// format readers produce them. One base becomes `CHR:POS`, the form IGV
    /// centres on the base (and sorts alignments at).
    pub fn from_interval(chrom: ChromName, start: u64, end: u64) -> Result<Self, LocusError> {
        for (value, what) in [(start, "start"), (end, "end")] {
            if value == 0 {
                return Err(LocusError::Zero(what));
            }
            if value > MAX_POSITION {
                return Err(LocusError::TooLarge(what));
            }
        }
        if start > end {
            return Err(LocusError::StartAfterEnd { start, end });
        }
        let span = if start == end {
            Span::Position(start)
        } else {
            Span::Range { start, end }
        };
        Ok(Self { chrom, span })
    }

    pub fn chrom(&self) -> &ChromName {
        &self.chrom
    }

    pub fn span(&self) -> Span {
        self.span
    }

    /// First and last base covered, when the locus has coordinates.
    pub fn bounds(&self) -> Option<(u64, u64)> {
        match self.span {
            Span::Whole => None,
            Span::Position(p) => Some((p, p)),
            Span::Range { start, end } => Some((start, end)),
        }
    }

    /// The same span on another name for the same sequence (genome aliases).
    pub fn with_chrom(&self, chrom: ChromName) -> Self {
        Self {
            chrom,
            span: self.span,
        }
    }

    pub(crate) fn with_span(&self, span: Span) -> Self {
        Self {
            chrom: self.chrom.clone(),
            span,
        }
    }

    /// Widens the locus by `flank` bases on each side, never below 1 and never
    /// past `max_end` (the chromosome length when known).
    pub fn with_flank(&self, flank: u64, max_end: Option<u64>) -> Self {
        let Some((start, end)) = self.bounds() else {
            return self.clone();
        };
        if flank == 0 {
            return self.clone();
        }
        let limit = max_end.unwrap_or(MAX_POSITION).min(MAX_POSITION);
        let start = start.saturating_sub(flank).max(1);
        let end = end.saturating_add(flank).min(limit).max(start);
        self.with_span(Span::Range { start, end })
    }

    /// The locus with thousands separators, as IGV's locus box shows it.
    pub fn to_display_string(&self) -> String {
        match self.span {
            Span::Whole => self.chrom.to_string(),
            Span::Position(p) => format!("{}:{}", self.chrom, group_thousands(p)),
            Span::Range { start, end } => {
                format!(
                    "{}:{}-{}",
                    self.chrom,
                    group_thousands(start),
                    group_thousands(end)
                )
            }
        }
    }
}

/// The canonical form sent to IGV: no thousands separators.
impl Locus {
    /// The canonical text (`chr1:1001-2000`) written to `out`: what
    /// `Display` prints, and straight into a `String` without `fmt`'s
    /// machinery when `W` is one (exports print one locus per row).
    pub fn write_canonical<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        out.write_str(self.chrom.as_str())?;
        match self.span {
            Span::Whole => Ok(()),
            Span::Position(p) => {
                out.write_str(":")?;
                out.write_str(itoa::Buffer::new().format(p))
            }
            Span::Range { start, end } => {
                out.write_str(":")?;
                out.write_str(itoa::Buffer::new().format(start))?;
                out.write_str("-")?;
                out.write_str(itoa::Buffer::new().format(end))
            }
        }
    }
}

impl fmt::Display for Locus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_canonical(f)
    }
}

impl FromStr for Locus {
    type Err = LocusError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Leading digits (1 to 10, no commas) with a value IGV accepts as a
/// position, and the bytes after them.
fn plain_position(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let digits = bytes
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(bytes.len());
    if digits == 0 || digits > 10 {
        return None;
    }
    let value = bytes[..digits]
        .iter()
        .fold(0u64, |value, &b| value * 10 + u64::from(b - b'0'));
    (1..=MAX_POSITION)
        .contains(&value)
        .then_some((value, &bytes[digits..]))
}

/// `text` split at the first `byte` (an ASCII byte, so both parts are `str`s).
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

/// Accepts `1234567` or `1,234,567` (groups of three after the first), and
/// nothing else: IGV strips every comma, so `1,2` would silently mean 12.
/// One pass over the bytes, no copy of the digits.
fn parse_position(text: &str, what: &'static str) -> Result<u64, LocusError> {
    if text.is_empty() {
        return Err(LocusError::MissingNumber(what));
    }
    if text.starts_with('-') {
        return Err(LocusError::Negative);
    }
    let not_a_number = || LocusError::NotANumber {
        what,
        text: text.to_owned(),
    };
    let (mut digits, mut group, mut groups) = (0usize, 0usize, 0usize);
    let mut value: u64 = 0;
    for b in text.bytes() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                group += 1;
                // More than 10 digits cannot fit a Java int, and stopping
                // here keeps the u64 from overflowing on absurd inputs.
                if digits <= 10 {
                    value = value * 10 + u64::from(b - b'0');
                }
            }
            b',' => {
                // The first group has 1 to 3 digits, every later one 3.
                if group == 0 || group > 3 || (groups > 0 && group != 3) {
                    return Err(not_a_number());
                }
                groups += 1;
                group = 0;
            }
            _ => return Err(not_a_number()),
        }
    }
    if groups > 0 && group != 3 {
        return Err(not_a_number());
    }
    if digits > 10 {
        return Err(LocusError::TooLarge(what));
    }
    if value == 0 {
        return Err(LocusError::Zero(what));
    }
    if value > MAX_POSITION {
        return Err(LocusError::TooLarge(what));
    }
    Ok(value)
}

fn group_thousands(n: u64) -> String {
    let raw = n.to_string();
    let mut out = String::with_capacity(raw.len() + raw.len() / 3);
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Why a locus was refused, in words a biologist understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocusError {
    #[error("the locus is empty; write it as chr:start-end, e.g. chr7:140453136-140453236")]
    Empty,
    #[error("the chromosome name is missing before ':'")]
    EmptyChromosome,
    #[error("the chromosome name is longer than {0} characters")]
    ChromosomeTooLong(usize),
    #[error(
        "the character {0:?} is not allowed in a chromosome name (allowed: letters, digits and _ . - | * +)"
    )]
    ChromosomeCharacter(char),
    #[error("a chromosome name must start with a letter, a digit or '_', not {0:?}")]
    ChromosomeStart(char),
    #[error("the character {0:?} is not allowed in a locus")]
    Character(char),
    #[error(
        "only one ':' is allowed; write the locus as chr:start-end (mutation notation such as KRAS:G12C is not supported)"
    )]
    ExtraColon,
    #[error("the {0} is missing; write the locus as chr:start-end")]
    MissingNumber(&'static str),
    #[error("negative positions do not exist; positions start at 1")]
    Negative,
    #[error(
        "the {what} {text:?} is not a whole number (digits, optionally with thousands commas like 1,234,567); gene or mutation notation is not supported"
    )]
    NotANumber { what: &'static str, text: String },
    #[error("the {0} is 0, but positions are 1-based: the first base is 1")]
    Zero(&'static str),
    #[error("the {0} is larger than 2,147,483,647, the largest position IGV accepts")]
    TooLarge(&'static str),
    #[error("the start ({start}) is after the end ({end})")]
    StartAfterEnd { start: u64, end: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `char`-by-`char` parser the byte one replaced (issue 28), kept to
    /// check that both accept and refuse the same text, with the same error.
    mod reference {
        use std::borrow::Cow;

        use super::super::{LocusError, MAX_NAME_LEN, MAX_POSITION};

        pub fn parse(input: &str) -> Result<(String, Option<(u64, u64)>), LocusError> {
            let text = input.trim();
            if text.is_empty() {
                return Err(LocusError::Empty);
            }
            if let Some(bad) = text.chars().find(|c| c.is_control() || c.is_whitespace()) {
                return Err(LocusError::Character(bad));
            }
            let Some((name, coords)) = text.split_once(':') else {
                return Ok((chrom(text)?, None));
            };
            let name = chrom(name)?;
            if coords.contains(':') {
                return Err(LocusError::ExtraColon);
            }
            let span = match coords.split_once('-') {
                None => {
                    let p = position(coords, "position")?;
                    (p, p)
                }
                Some((start, end)) => {
                    if start.is_empty() {
                        return Err(LocusError::Negative);
                    }
                    let start = position(start, "start")?;
                    let end = position(end, "end")?;
                    if start > end {
                        return Err(LocusError::StartAfterEnd { start, end });
                    }
                    (start, end)
                }
            };
            Ok((name, Some(span)))
        }

        fn chrom(name: &str) -> Result<String, LocusError> {
            if name.is_empty() {
                return Err(LocusError::EmptyChromosome);
            }
            if name.len() > MAX_NAME_LEN {
                return Err(LocusError::ChromosomeTooLong(MAX_NAME_LEN));
            }
            let is_name_char = |c: char| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '|' | '*' | '+')
            };
            if let Some(bad) = name.chars().find(|c| !is_name_char(*c)) {
                return Err(LocusError::ChromosomeCharacter(bad));
            }
            let first = name.as_bytes()[0];
            if !(first.is_ascii_alphanumeric() || first == b'_') {
                return Err(LocusError::ChromosomeStart(first as char));
            }
            Ok(name.to_owned())
        }

        fn position(text: &str, what: &'static str) -> Result<u64, LocusError> {
            if text.is_empty() {
                return Err(LocusError::MissingNumber(what));
            }
            if text.starts_with('-') {
                return Err(LocusError::Negative);
            }
            let not_a_number = || LocusError::NotANumber {
                what,
                text: text.to_owned(),
            };
            let digits = strip_thousands(text).ok_or_else(not_a_number)?;
            if digits.len() > 10 {
                return Err(LocusError::TooLarge(what));
            }
            let value: u64 = digits.parse().map_err(|_| not_a_number())?;
            if value == 0 {
                return Err(LocusError::Zero(what));
            }
            if value > MAX_POSITION {
                return Err(LocusError::TooLarge(what));
            }
            Ok(value)
        }

        fn strip_thousands(text: &str) -> Option<Cow<'_, str>> {
            if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b',') {
                return None;
            }
            if !text.contains(',') {
                return Some(Cow::Borrowed(text));
            }
            let mut groups = text.split(',');
            let first = groups.next()?;
            if first.is_empty() || first.len() > 3 {
                return None;
            }
            let mut digits = first.to_owned();
            for group in groups {
                if group.len() != 3 {
                    return None;
                }
                digits.push_str(group);
            }
            Some(Cow::Owned(digits))
        }
    }

    fn as_reference(
        parsed: Result<Locus, LocusError>,
    ) -> Result<(String, Option<(u64, u64)>), LocusError> {
        parsed.map(|l| (l.chrom().as_str().to_owned(), l.bounds()))
    }

    proptest::proptest! {
        #[test]
        fn bytes_and_chars_parse_any_text_alike(
            text in "[ \\t\\n\\x0b\\x7f\\u{85}\\u{a0}\\u{2028}a-cXY0-9:,_.|*+%é-]{0,24}"
        ) {
            proptest::prop_assert_eq!(as_reference(Locus::parse(&text)), reference::parse(&text));
        }

        #[test]
        fn bytes_and_chars_parse_locus_shaped_text_alike(
            name in "[a-zA-Z0-9_.|*+-]{0,4}|chr[0-9XY]{1,2}",
            start in "[0-9,]{0,14}",
            end in "[0-9,-]{0,14}",
            shape in 0..3u8,
        ) {
            let text = match shape {
                0 => format!("{name}:{start}"),
                1 => format!("{name}:{start}-{end}"),
                _ => name,
            };
            proptest::prop_assert_eq!(as_reference(Locus::parse(&text)), reference::parse(&text));
        }

        /// The one-pass path for plain `CHR:START-END`, at its edges: long
        /// numbers, zero, start after end, names that may not start a locus.
        #[test]
        fn plain_loci_parse_as_the_checks_parse_them(
            name in "[a-zA-Z0-9_][a-zA-Z0-9_.|*+-]{0,6}|[.|*+-][a-z]{0,3}|",
            start in "[0-9]{1,11}|2147483648|2147483647|0",
            end in "[0-9]{1,11}|2147483647",
            shape in 0..5u8,
        ) {
            let text = match shape {
                0 => format!("{name}:{start}"),
                1 => format!("{name}:{start}-{end}"),
                2 => format!("{name}:{start}-{end}-{end}"),
                3 => format!("{name}:{start}-"),
                _ => format!("{name}:{start}{end}x"),
            };
            proptest::prop_assert_eq!(as_reference(Locus::parse(&text)), reference::parse(&text));
        }

        #[test]
        fn bytes_and_chars_parse_any_unicode_alike(text in "\\PC{0,20}|.{0,20}") {
            proptest::prop_assert_eq!(as_reference(Locus::parse(&text)), reference::parse(&text));
        }
    }

    #[test]
    fn parses_the_three_shapes() {
        assert_eq!(Locus::parse("chr2").unwrap().span(), Span::Whole);
        assert_eq!(
            Locus::parse("chr1:1500").unwrap().span(),
            Span::Position(1500)
        );
        assert_eq!(
            Locus::parse("chr7:140,453,036-140,453,236").unwrap().span(),
            Span::Range {
                start: 140_453_036,
                end: 140_453_236
            }
        );
    }

    #[test]
    fn rejects_misplaced_thousands_commas() {
        assert!(matches!(
            Locus::parse("chr1:1,2-3"),
            Err(LocusError::NotANumber { .. })
        ));
        assert!(matches!(
            Locus::parse("chr1:1000,-3000"),
            Err(LocusError::NotANumber { .. })
        ));
    }

    #[test]
    fn rejects_mutation_notation_that_kills_igv() {
        assert!(Locus::parse("KRAS:G1,2C").is_err());
        assert!(Locus::parse("A:B:12A>T").is_err());
        assert!(Locus::parse("KRAS:G99999999999C").is_err());
    }

    #[test]
    fn display_round_trips_and_groups_thousands_for_people() {
        let l = Locus::parse("chr7:140,453,036-140,453,236").unwrap();
        assert_eq!(l.to_string(), "chr7:140453036-140453236");
        assert_eq!(l.to_display_string(), "chr7:140,453,036-140,453,236");
        assert_eq!(Locus::parse(&l.to_string()).unwrap(), l);
    }

    #[test]
    fn flank_is_clamped_to_one_and_to_the_chromosome_end() {
        let l = Locus::parse("chr1:50-100").unwrap();
        assert_eq!(l.with_flank(100, Some(150)).to_string(), "chr1:1-150");
        assert_eq!(l.with_flank(10, None).to_string(), "chr1:40-110");
    }

    #[test]
    fn one_base_intervals_become_positions() {
        let chrom = ChromName::parse("chr1").unwrap();
        let l = Locus::from_interval(chrom.clone(), 12345, 12345).unwrap();
        assert_eq!(l.to_string(), "chr1:12345");
        assert_eq!(
            Locus::from_interval(chrom, 5, 6).unwrap().to_string(),
            "chr1:5-6"
        );
    }

    #[test]
    fn bare_gene_names_do_not_look_like_sequences() {
        for gene in ["KRAS", "BRCA1", "TP53"] {
            assert!(
                !ChromName::parse(gene).unwrap().looks_like_sequence_name(),
                "{gene}"
            );
        }
        for seq in [
            "chr1",
            "1",
            "MT",
            "X",
            "NC_000001.11",
            "GL000220.1",
            "chrUn_KI270302v1",
        ] {
            assert!(
                ChromName::parse(seq).unwrap().looks_like_sequence_name(),
                "{seq}"
            );
        }
    }
}
