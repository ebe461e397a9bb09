//! One or several loci, as a `/goto` sends them (space-separated: IGV shows
//! several loci side by side in split-screen mode).

use std::fmt;

use smallvec::SmallVec;

use super::genes::{self, GeneProblem};
use super::genome::{Genome, GenomeError};
use super::locus::{Locus, LocusError, Span};

/// Limits that come from configuration.
#[derive(Clone, Copy, Debug)]
pub struct LociRules {
    pub max_loci: usize,
    /// IGV resolves unknown words as feature names and blocks on a dialog when
    /// it cannot find one, so bare gene names are refused unless an admin
    /// explicitly allows them.
    pub allow_feature_names: bool,
}

impl Default for LociRules {
    fn default() -> Self {
        Self {
            max_loci: 10,
            allow_feature_names: false,
        }
    }
}

/// Loci as they are collected: one or two per record (two for split-screen
/// rows) stay inline, so a row's loci cost no allocation of their own.
pub type LocusList = SmallVec<[Locus; 2]>;

/// A non-empty list of validated loci.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loci(LocusList);

impl Loci {
    /// [`Loci::parse`], each locus then widened by `flank` bases on each side
    /// (clamped to the chromosome) and checked again exactly as the relay
    /// will check it.
    pub fn parse_with_flank(
        input: &str,
        rules: LociRules,
        genome: Option<&Genome>,
        flank: u64,
    ) -> Result<Self, LociError> {
        let loci = Self::parse(input, rules, genome)?;
        if flank == 0 {
            return Ok(loci);
        }
        let widened: Vec<String> = loci
            .as_slice()
            .iter()
            .map(|locus| {
                let length = genome
                    .and_then(|g| g.chromosome(locus.chrom().as_str()))
                    .map(|c| c.length);
                locus.with_flank(flank, length).to_string()
            })
            .collect();
        Self::parse(&widened.join(" "), rules, genome)
    }

    pub fn parse(
        input: &str,
        rules: LociRules,
        genome: Option<&Genome>,
    ) -> Result<Self, LociError> {
        // The usual link: one locus, printable ASCII without spaces. One
        // scan instead of the control check and the split below.
        if rules.max_loci > 0
            && !input.is_empty()
            && input.bytes().all(|b| (b'!'..0x7f).contains(&b))
        {
            let locus =
                Self::parse_one(input, rules, genome).map_err(|problem| LociError::Item {
                    text: input.to_owned(),
                    problem,
                })?;
            return Ok(Self::from_locus(locus));
        }
        // ASCII controls are the bytes below the space and DEL; from the
        // first non-ASCII byte on, only `char`s can tell (C1 controls).
        if let Some(at) = input.bytes().position(|b| !(b' '..0x7f).contains(&b))
            && let Some(bad) = input[at..].chars().find(|c| c.is_control())
        {
            return Err(LociError::ControlCharacter(bad));
        }
        // Without controls the only ASCII whitespace left is the space, so
        // this splits on spaces, skipping empty tokens; counted first rather
        // than collected (no allocation per request).
        let tokens = || input.split_ascii_whitespace();
        let count = tokens().count();
        if count == 0 {
            return Err(LociError::Empty);
        }
        if count > rules.max_loci {
            return Err(LociError::TooMany {
                count,
                max: rules.max_loci,
            });
        }
        let mut loci = LocusList::with_capacity(count);
        for token in tokens() {
            let locus =
                Self::parse_one(token, rules, genome).map_err(|problem| LociError::Item {
                    text: token.to_owned(),
                    problem,
                })?;
            loci.push(locus);
        }
        Ok(Self(loci))
    }

    fn parse_one(
        token: &str,
        rules: LociRules,
        genome: Option<&Genome>,
    ) -> Result<Locus, LocusProblem> {
        match Locus::parse(token) {
            Ok(locus) => Self::check_one(locus, rules, genome),
            // Gene names may have characters no sequence name has
            // (`l(2)gl`, `tRNA:Ser`); only a genome's annotation can say.
            Err(e) => match genome.filter(|g| g.genes().is_some()) {
                Some(g) => match genes::find(g, token) {
                    Ok(hit) => Ok(hit.locus),
                    // A word with a gene name's characters that no sequence
                    // name has: say which genes are close.
                    Err(problem @ GeneProblem::Unknown { .. })
                        if !token.contains(':')
                            && matches!(
                                e,
                                LocusError::ChromosomeCharacter(_) | LocusError::ChromosomeStart(_)
                            ) =>
                    {
                        Err(problem.into())
                    }
                    Err(GeneProblem::Unknown { .. } | GeneProblem::NotAName { .. }) => {
                        Err(e.into())
                    }
                    Err(problem) => Err(problem.into()),
                },
                _ => Err(e.into()),
            },
        }
    }

    fn check_one(
        locus: Locus,
        rules: LociRules,
        genome: Option<&Genome>,
    ) -> Result<Locus, LocusProblem> {
        let is_bare_word = locus.span() == Span::Whole && !locus.chrom().looks_like_sequence_name();
        match genome {
            Some(g) => match g.resolve(&locus) {
                // A word that is not one of the genome's sequences: a name
                // for its gene annotation, resolved here so that IGV only
                // ever gets a locus.
                Err(GenomeError::UnknownChromosome { .. })
                    if is_bare_word || (locus.span() == Span::Whole && g.genes().is_some()) =>
                {
                    match genes::find(g, locus.chrom().as_str()) {
                        Ok(hit) => Ok(hit.locus),
                        Err(GeneProblem::NoAnnotation { .. }) => Err(LocusProblem::FeatureName),
                        Err(problem) => Err(problem.into()),
                    }
                }
                other => Ok(other?),
            },
            None if is_bare_word && !rules.allow_feature_names => Err(LocusProblem::FeatureName),
            None => Ok(locus),
        }
    }

    /// Loci that are already parsed (a record's intervals): the checks of
    /// [`Loci::parse`], with the same errors, without printing each locus and
    /// reading it back. A parsed [`Locus`] always has coordinates or a checked
    /// name, so only the count and the genome are left to check.
    pub fn from_parsed(
        loci: LocusList,
        rules: LociRules,
        genome: Option<&Genome>,
    ) -> Result<Self, LociError> {
        if loci.is_empty() {
            return Err(LociError::Empty);
        }
        if loci.len() > rules.max_loci {
            return Err(LociError::TooMany {
                count: loci.len(),
                max: rules.max_loci,
            });
        }
        let needs_checking = loci
            .iter()
            .any(|l| genome.is_some() || l.span() == Span::Whole);
        if !needs_checking {
            return Ok(Self(loci));
        }
        let mut checked = LocusList::with_capacity(loci.len());
        for locus in loci {
            // The text only for the error; a clone shares the name.
            let original = locus.clone();
            let locus =
                Self::check_one(locus, rules, genome).map_err(|problem| LociError::Item {
                    text: original.to_string(),
                    problem,
                })?;
            checked.push(locus);
        }
        Ok(Self(checked))
    }

    pub fn from_locus(locus: Locus) -> Self {
        Self(smallvec::smallvec![locus])
    }

    pub fn as_slice(&self) -> &[Locus] {
        &self.0
    }

    /// Loci with thousands separators, for people.
    pub fn to_display_string(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(Locus::to_display_string).collect();
        parts.join(" ")
    }
}

impl Loci {
    /// Space-separated canonical loci written to `out` (see
    /// [`Locus::write_canonical`]).
    pub fn write_canonical<W: fmt::Write + ?Sized>(&self, out: &mut W) -> fmt::Result {
        for (i, locus) in self.0.iter().enumerate() {
            if i > 0 {
                out.write_str(" ")?;
            }
            locus.write_canonical(out)?;
        }
        Ok(())
    }
}

/// Space-separated canonical loci: exactly what IGV receives.
impl fmt::Display for Loci {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_canonical(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocusProblem {
    #[error(transparent)]
    Locus(#[from] LocusError),
    #[error(transparent)]
    Genome(#[from] GenomeError),
    #[error(
        "this looks like a gene or feature name; IGV freezes on names it cannot find, so write the locus as chr:start-end, or pick a genome whose gene annotation can look it up (genomes.<id>.genes)"
    )]
    FeatureName,
    #[error(transparent)]
    Gene(#[from] GeneProblem),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LociError {
    #[error("no locus given; write it as chr:start-end, e.g. chr7:140453136-140453236")]
    Empty,
    #[error("control characters (such as line breaks) are not allowed in a locus: {0:?}")]
    ControlCharacter(char),
    #[error("{count} loci given, but at most {max} can be shown at once")]
    TooMany { count: usize, max: usize },
    #[error("{text:?}: {problem}")]
    Item { text: String, problem: LocusProblem },
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The checks before each locus is parsed, against what they replaced
        /// (issue 28): a `char` scan for controls and a split on spaces.
        #[test]
        fn loci_are_split_and_checked_as_by_chars(
            text in "[ \\t\\n\\x0c\\x7f\\u{85}\\u{a0}\\u{2028}a-c0-9:-]{0,16}"
        ) {
            let rules = LociRules { max_loci: 3, allow_feature_names: true };
            let expected = match text.chars().find(|c| c.is_control()) {
                Some(bad) => Err(LociError::ControlCharacter(bad)),
                None => {
                    let tokens: Vec<&str> = text.split(' ').filter(|t| !t.is_empty()).collect();
                    if tokens.is_empty() {
                        Err(LociError::Empty)
                    } else if tokens.len() > 3 {
                        Err(LociError::TooMany { count: tokens.len(), max: 3 })
                    } else {
                        tokens
                            .iter()
                            .map(|t| {
                                Locus::parse(t).map_err(|e| LociError::Item {
                                    text: (*t).to_owned(),
                                    problem: e.into(),
                                })
                            })
                            .collect::<Result<LocusList, _>>()
                            .map(Loci)
                    }
                }
            };
            proptest::prop_assert_eq!(Loci::parse(&text, rules, None), expected);
        }
    }

    #[test]
    fn several_loci_are_kept_in_order() {
        let l = Loci::parse("chr1:1-2  chr2:3-4", LociRules::default(), None).unwrap();
        assert_eq!(l.to_string(), "chr1:1-2 chr2:3-4");
    }

    #[test]
    fn gene_names_are_refused_by_default() {
        let err = Loci::parse("KRAS", LociRules::default(), None).unwrap_err();
        assert!(matches!(
            err,
            LociError::Item {
                problem: LocusProblem::FeatureName,
                ..
            }
        ));
        let allowed = LociRules {
            allow_feature_names: true,
            ..LociRules::default()
        };
        assert!(Loci::parse("KRAS", allowed, None).is_ok());
    }

    #[test]
    fn too_many_loci_are_refused() {
        let rules = LociRules {
            max_loci: 2,
            ..LociRules::default()
        };
        assert!(matches!(
            Loci::parse("chr1 chr2 chr3", rules, None),
            Err(LociError::TooMany { count: 3, max: 2 })
        ));
    }
}
