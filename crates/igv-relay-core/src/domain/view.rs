//! IGV's alignment view commands ("change views"), built from a closed set.
//!
//! IGV has no HTTP paths for sorting, grouping, colouring or collapsing: it
//! answers `/sort` or `/collapse` with `ERROR Unknown command`. They exist
//! only as batch commands, which HTTP reaches as `/execute?command=<line>`,
//! and `/execute` runs *any* batch command (`exit`, `saveSession`,
//! `snapshot`, `preference`, …; igv-port-2.md §1.3, §1.5). So the relay never
//! forwards a command line: it builds each one here from enums, a strict SAM
//! tag and a validated position, and nothing else.
//!
//! Why each member is safe on IGV 2.16 through 3.0 (CommandExecutor, read at
//! v2.16.0, v2.19.8 and 3.0 HEAD; igv-port-2.md §1.5):
//! - `sort <option> <chr>:<pos>` and `sort tag <TAG> <chr>:<pos>`: the option
//!   is one IGV maps by name in every version (a missing option throws, so
//!   there is always one); the position is `chr:int`, which
//!   `Locus.fromString` parses without throwing.
//! - `group <option> [TAG]`: only aliases and `GroupOption` names present in
//!   2.16 and 3.0; IGV maps unknown names to NONE (no crash, but a silent
//!   no-op), so the relay refuses them instead.
//! - `colorBy <OPTION> [TAG]`: `ColorOption.valueOf` throws on an unknown
//!   name, and a throw on the HTTP path kills IGV's listener; only names
//!   present in every version from 2.16 to 3.0 are sent.
//! - `collapse`, `expand`, `squish` without a track name: a name goes through
//!   `URLDecoder.decode`, where a stray `%` throws; without one, all tracks.
//! - `viewaspairs true|false` without a track name.
//!
//! Encoding: IGV decodes `command` twice (`parseParameters`, then
//! `StringUtils.decodeURL`), so every token is made of `[A-Za-z0-9_.:-]` only
//! and tokens are joined with `%20`: no `%` escape other than that one, no
//! `+`, `&`, `#` or quote ever reaches IGV.

use std::fmt;

use super::locus::{Locus, Span};

/// How to sort alignments at a position (IGV's `sort` options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortBy {
    Base,
    Strand,
    Quality,
    Sample,
    ReadGroup,
    InsertSize,
    Tag(SamTag),
}

impl SortBy {
    /// The relay's names, also IGV's (`getAlignmentSortOption`).
    pub const NAMES: &'static [&'static str] = &[
        "base",
        "strand",
        "quality",
        "sample",
        "readGroup",
        "insertSize",
        "tag",
    ];

    pub fn parse(name: &str, tag: Option<&str>) -> Result<Self, ViewError> {
        Ok(match name {
            "base" => Self::Base,
            "strand" => Self::Strand,
            "quality" => Self::Quality,
            "sample" => Self::Sample,
            "readGroup" => Self::ReadGroup,
            "insertSize" => Self::InsertSize,
            "tag" => Self::Tag(SamTag::required(tag)?),
            _ => return Err(ViewError::unknown("by", name, Self::NAMES)),
        })
    }

    /// The option word IGV's `sort` command and `/load?sort=` take.
    pub fn igv_name(&self) -> &'static str {
        match self {
            Self::Base => "base",
            Self::Strand => "strand",
            Self::Quality => "quality",
            Self::Sample => "sample",
            Self::ReadGroup => "readGroup",
            Self::InsertSize => "insertSize",
            Self::Tag(_) => "tag",
        }
    }
}

/// How to group alignments (IGV's `group` options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupBy {
    Strand,
    Sample,
    Library,
    ReadGroup,
    FirstOfPairStrand,
    PairOrientation,
    MateChromosome,
    Supplementary,
    MappingQuality,
    Tag(SamTag),
    None,
}

impl GroupBy {
    pub const NAMES: &'static [&'static str] = &[
        "strand",
        "sample",
        "library",
        "readGroup",
        "firstOfPairStrand",
        "pairOrientation",
        "mateChromosome",
        "supplementary",
        "mappingQuality",
        "tag",
        "none",
    ];

    pub fn parse(name: &str, tag: Option<&str>) -> Result<Self, ViewError> {
        Ok(match name {
            "strand" => Self::Strand,
            "sample" => Self::Sample,
            "library" => Self::Library,
            "readGroup" => Self::ReadGroup,
            "firstOfPairStrand" => Self::FirstOfPairStrand,
            "pairOrientation" => Self::PairOrientation,
            "mateChromosome" => Self::MateChromosome,
            "supplementary" => Self::Supplementary,
            "mappingQuality" => Self::MappingQuality,
            "tag" => Self::Tag(SamTag::required(tag)?),
            "none" => Self::None,
            _ => return Err(ViewError::unknown("by", name, Self::NAMES)),
        })
    }

    /// IGV's word: its aliases where it has them, else the exact enum name
    /// (`GroupOption.valueOf(upper case)`), as saved in a session.
    pub fn igv_name(&self) -> &'static str {
        match self {
            Self::Strand => "STRAND",
            Self::Sample => "SAMPLE",
            Self::Library => "LIBRARY",
            Self::ReadGroup => "READ_GROUP",
            Self::FirstOfPairStrand => "FIRST_OF_PAIR_STRAND",
            Self::PairOrientation => "PAIR_ORIENTATION",
            Self::MateChromosome => "MATE_CHROMOSOME",
            Self::Supplementary => "SUPPLEMENTARY",
            Self::MappingQuality => "MAPPING_QUALITY",
            Self::Tag(_) => "TAG",
            Self::None => "NONE",
        }
    }
}

/// How to colour alignments: the `ColorOption` names every IGV from 2.16 to
/// 3.0 knows (an unknown one kills IGV's listener).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColorBy {
    None,
    ReadStrand,
    FirstOfPairStrand,
    PairOrientation,
    InsertSize,
    UnexpectedPair,
    Sample,
    ReadGroup,
    Library,
    Tag(SamTag),
}

impl ColorBy {
    pub const NAMES: &'static [&'static str] = &[
        "none",
        "readStrand",
        "firstOfPairStrand",
        "pairOrientation",
        "insertSize",
        "unexpectedPair",
        "sample",
        "readGroup",
        "library",
        "tag",
    ];

    pub fn parse(name: &str, tag: Option<&str>) -> Result<Self, ViewError> {
        Ok(match name {
            "none" => Self::None,
            "readStrand" => Self::ReadStrand,
            "firstOfPairStrand" => Self::FirstOfPairStrand,
            "pairOrientation" => Self::PairOrientation,
            "insertSize" => Self::InsertSize,
            "unexpectedPair" => Self::UnexpectedPair,
            "sample" => Self::Sample,
            "readGroup" => Self::ReadGroup,
            "library" => Self::Library,
            "tag" => Self::Tag(SamTag::required(tag)?),
            _ => return Err(ViewError::unknown("by", name, Self::NAMES)),
        })
    }

    /// The exact `ColorOption` name, as saved in a session.
    pub fn igv_name(&self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::ReadStrand => "READ_STRAND",
            Self::FirstOfPairStrand => "FIRST_OF_PAIR_STRAND",
            Self::PairOrientation => "PAIR_ORIENTATION",
            Self::InsertSize => "INSERT_SIZE",
            Self::UnexpectedPair => "UNEXPECTED_PAIR",
            Self::Sample => "SAMPLE",
            Self::ReadGroup => "READ_GROUP",
            Self::Library => "LIBRARY",
            Self::Tag(_) => "TAG",
        }
    }
}

/// Track display mode, for every track at once (IGV's `collapse`, `expand`,
/// `squish` without a track name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisplayMode {
    Collapsed,
    Expanded,
    Squished,
}

impl DisplayMode {
    /// The batch command word.
    pub fn command(self) -> &'static str {
        match self {
            Self::Collapsed => "collapse",
            Self::Expanded => "expand",
            Self::Squished => "squish",
        }
    }

    /// The `displayMode` IGV saves in a session.
    pub fn igv_name(self) -> &'static str {
        match self {
            Self::Collapsed => "COLLAPSED",
            Self::Expanded => "EXPANDED",
            Self::Squished => "SQUISHED",
        }
    }
}

/// A two-character SAM tag, `[A-Za-z][A-Za-z0-9]` (SAM spec §1.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SamTag([u8; 2]);

impl SamTag {
    pub fn parse(text: &str) -> Result<Self, ViewError> {
        match text.as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphanumeric() => Ok(Self([*a, *b])),
            _ => Err(ViewError::Invalid {
                param: "tag",
                value: text.to_owned(),
                reason: "a SAM tag is two characters, a letter then a letter or digit (e.g. HP)"
                    .into(),
            }),
        }
    }

    fn required(text: Option<&str>) -> Result<Self, ViewError> {
        Self::parse(text.ok_or(ViewError::Missing("tag"))?)
    }

    pub fn as_str(&self) -> &str {
        // Two ASCII bytes, checked in `parse`.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

/// One base on a chromosome whose name is a single safe IGV token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BasePosition {
    locus: Locus,
    pos: u64,
}

impl BasePosition {
    /// From a validated locus, which must be one base (`chr:pos`) on a
    /// chromosome named with `[A-Za-z0-9_.-]` only: the batch line is split
    /// on spaces and decoded twice, so `+`, `*` or `|` (legal in locus names)
    /// cannot be passed through safely.
    pub fn from_locus(locus: &Locus) -> Result<Self, String> {
        let pos = match locus.span() {
            Span::Position(p) => p,
            Span::Range { start, end } if start == end => start,
            _ => {
                return Err(format!(
                    "{locus} is not one base; give chr:pos (e.g. chr7:140753336)"
                ));
            }
        };
        let name = locus.chrom().as_str();
        if !name.bytes().all(is_token_byte) {
            return Err(format!(
                "the chromosome name {name:?} has characters that cannot be sent in an IGV view command"
            ));
        }
        Ok(Self {
            locus: locus.clone(),
            pos,
        })
    }

    pub fn locus(&self) -> &Locus {
        &self.locus
    }
}

impl fmt::Display for BasePosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.locus.chrom(), self.pos)
    }
}

/// Bytes a batch-command token may contain: never split, never decoded.
pub fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-')
}

/// One view command, as the relay may send it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViewCommand {
    Sort { by: SortBy, at: BasePosition },
    Group(GroupBy),
    Color(ColorBy),
    Display(DisplayMode),
    ViewAsPairs(bool),
}

impl ViewCommand {
    /// The relay's command names (`/igv/view?command=`).
    pub const NAMES: &'static [&'static str] = &[
        "sort", "group", "color", "collapse", "expand", "squish", "pairs",
    ];

    /// Every command the relay allows, with `tag` for the tag options and
    /// `at` for sorting: the whole set, for tests, docs and the fuzz oracle.
    pub fn all(tag: SamTag, at: &BasePosition) -> Vec<ViewCommand> {
        let mut all: Vec<ViewCommand> = SortBy::NAMES
            .iter()
            .map(|n| Self::Sort {
                by: SortBy::parse(n, Some(tag.as_str())).unwrap_or(SortBy::Base),
                at: at.clone(),
            })
            .collect();
        all.extend(
            GroupBy::NAMES
                .iter()
                .filter_map(|n| GroupBy::parse(n, Some(tag.as_str())).ok())
                .map(Self::Group),
        );
        all.extend(
            ColorBy::NAMES
                .iter()
                .filter_map(|n| ColorBy::parse(n, Some(tag.as_str())).ok())
                .map(Self::Color),
        );
        all.extend([
            Self::Display(DisplayMode::Collapsed),
            Self::Display(DisplayMode::Expanded),
            Self::Display(DisplayMode::Squished),
            Self::ViewAsPairs(true),
            Self::ViewAsPairs(false),
        ]);
        all
    }

    /// The relay's query for this command (`/igv/view?…`), the inverse of
    /// `request::parse_view`.
    pub fn relay_query(&self) -> Vec<(&'static str, String)> {
        fn by_and_tag(
            command: &'static str,
            name: &'static str,
            tag: Option<&SamTag>,
        ) -> Vec<(&'static str, String)> {
            let mut q = vec![("command", command.to_owned()), ("by", name.to_owned())];
            if let Some(tag) = tag {
                q.push(("tag", tag.as_str().to_owned()));
            }
            q
        }
        match self {
            Self::Sort { by, at } => {
                let tag = match by {
                    SortBy::Tag(t) => Some(t),
                    _ => None,
                };
                let mut q = by_and_tag("sort", by.igv_name(), tag);
                q.push(("locus", at.to_string()));
                q
            }
            Self::Group(by) => {
                let tag = match by {
                    GroupBy::Tag(t) => Some(t),
                    _ => None,
                };
                let name = GroupBy::NAMES
                    .iter()
                    .find(|n| GroupBy::parse(n, tag.map(SamTag::as_str)).as_ref() == Ok(by))
                    .copied()
                    .unwrap_or("none");
                by_and_tag("group", name, tag)
            }
            Self::Color(by) => {
                let tag = match by {
                    ColorBy::Tag(t) => Some(t),
                    _ => None,
                };
                let name = ColorBy::NAMES
                    .iter()
                    .find(|n| ColorBy::parse(n, tag.map(SamTag::as_str)).as_ref() == Ok(by))
                    .copied()
                    .unwrap_or("none");
                by_and_tag("color", name, tag)
            }
            Self::Display(mode) => vec![("command", mode.command().to_owned())],
            Self::ViewAsPairs(on) => vec![("command", "pairs".to_owned()), ("on", on.to_string())],
        }
    }

    /// The batch command line's tokens, each made of [`is_token_byte`]s.
    pub fn tokens(&self) -> Vec<&str> {
        match self {
            Self::Sort { by, at: _ } => match by {
                SortBy::Tag(tag) => vec!["sort", "tag", tag.as_str()],
                other => vec!["sort", other.igv_name()],
            },
            Self::Group(by) => match by {
                GroupBy::Tag(tag) => vec!["group", "TAG", tag.as_str()],
                other => vec!["group", other.igv_name()],
            },
            Self::Color(by) => match by {
                ColorBy::Tag(tag) => vec!["colorBy", "TAG", tag.as_str()],
                other => vec!["colorBy", other.igv_name()],
            },
            Self::Display(mode) => vec![mode.command()],
            Self::ViewAsPairs(on) => vec!["viewaspairs", if *on { "true" } else { "false" }],
        }
    }

    /// The batch command line IGV runs, e.g. `sort base chr1:3000`.
    pub fn command_line(&self) -> String {
        let mut line = self.tokens().join(" ");
        if let Self::Sort { at, .. } = self {
            line.push(' ');
            line.push_str(&at.to_string());
        }
        line
    }

    /// The `command` value as sent: tokens joined with `%20`.
    pub fn encoded(&self) -> String {
        self.command_line().replace(' ', "%20")
    }

    /// A sentence for the landing page and logs.
    pub fn describe(&self) -> String {
        match self {
            Self::Sort { by, at } => match by {
                SortBy::Tag(tag) => format!("Sort alignments by tag {} at {at}", tag.as_str()),
                other => format!("Sort alignments by {} at {at}", other.igv_name()),
            },
            Self::Group(GroupBy::Tag(tag)) => format!("Group alignments by tag {}", tag.as_str()),
            Self::Group(by) => format!("Group alignments by {}", by.igv_name().to_lowercase()),
            Self::Color(ColorBy::Tag(tag)) => format!("Colour alignments by tag {}", tag.as_str()),
            Self::Color(by) => format!("Colour alignments by {}", by.igv_name().to_lowercase()),
            Self::Display(mode) => {
                format!("Show every track {} in IGV", mode.igv_name().to_lowercase())
            }
            Self::ViewAsPairs(true) => "View alignments as pairs".into(),
            Self::ViewAsPairs(false) => "Stop viewing alignments as pairs".into(),
        }
    }
}

/// Why a view command was refused, naming the parameter and the allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    #[error("{param}: {value:?} is not allowed; allowed values: {}", allowed.join(", "))]
    Unknown {
        param: &'static str,
        value: String,
        allowed: &'static [&'static str],
    },
    #[error("{param}: {reason}")]
    Invalid {
        param: &'static str,
        value: String,
        reason: String,
    },
    #[error("the parameter {0} is required")]
    Missing(&'static str),
}

impl ViewError {
    pub fn unknown(param: &'static str, value: &str, allowed: &'static [&'static str]) -> Self {
        Self::Unknown {
            param,
            value: value.to_owned(),
            allowed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> BasePosition {
        BasePosition::from_locus(&Locus::parse(text).unwrap()).unwrap()
    }

    #[test]
    fn each_command_is_one_fixed_batch_line() {
        let cases = [
            (
                ViewCommand::Sort {
                    by: SortBy::Base,
                    at: at("chr1:3000"),
                },
                "sort base chr1:3000",
            ),
            (
                ViewCommand::Sort {
                    by: SortBy::parse("tag", Some("HP")).unwrap(),
                    at: at("chr1:3,000"),
                },
                "sort tag HP chr1:3000",
            ),
            (
                ViewCommand::Group(GroupBy::parse("readGroup", None).unwrap()),
                "group READ_GROUP",
            ),
            (
                ViewCommand::Color(ColorBy::parse("tag", Some("XS")).unwrap()),
                "colorBy TAG XS",
            ),
            (ViewCommand::Display(DisplayMode::Squished), "squish"),
            (ViewCommand::ViewAsPairs(false), "viewaspairs false"),
        ];
        for (command, line) in cases {
            assert_eq!(command.command_line(), line);
            assert_eq!(command.encoded(), line.replace(' ', "%20"));
        }
    }

    #[test]
    fn unknown_options_name_the_allowed_values() {
        let err = ColorBy::parse("BASE_MODIFICATION_2COLOR", None).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("readStrand") && text.contains("insertSize"),
            "{text}"
        );
        assert!(matches!(
            SortBy::parse("tag", None),
            Err(ViewError::Missing("tag"))
        ));
        for bad in ["H", "HPX", "1P", "H%", "H "] {
            assert!(SamTag::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sort_positions_are_one_base_on_a_plain_chromosome_name() {
        for bad in ["chr1:100-200", "chr1", "HLA-A*01:100"] {
            let locus = Locus::parse(bad).unwrap();
            assert!(BasePosition::from_locus(&locus).is_err(), "{bad}");
        }
        assert_eq!(at("chr1:100-100").to_string(), "chr1:100");
    }
}
