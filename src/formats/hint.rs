//! A cheap test of a raw line before it is parsed: text a record must contain
//! to be kept by the filter a page carries.
//!
//! A filtered page of an annotated VCF (`?where=Impact=HIGH`) may have to read
//! thousands of records to find one page of matches, and parsing one record
//! and its annotations costs microseconds. Most conditions on text name a
//! value that must appear somewhere in the line (`Gene=BRCA2`: `BRCA2`), so a
//! line without it can be passed over unparsed. The hint is only ever a
//! necessary condition: the filter still decides on every line the hint lets
//! through.

use aho_corasick::AhoCorasick;

/// Text a line must hold: every clause, where a clause is satisfied by any of
/// its needles (ASCII case-insensitive).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineHint {
    clauses: Vec<Vec<String>>,
}

impl LineHint {
    /// Adds a clause; one without needles, or with an empty needle, says
    /// nothing about the line and is left out, and so is one with a needle
    /// that is not ASCII: a line that is not UTF-8 is repaired before it is
    /// read (Latin-1 bytes become characters), so only ASCII is sure to be
    /// spelled the same in the raw line.
    pub fn require_any(&mut self, needles: Vec<String>) {
        if !needles.is_empty() && needles.iter().all(|n| !n.is_empty() && n.is_ascii()) {
            self.clauses.push(needles);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// The clauses compiled for matching, or `None` when there are none.
    pub fn matcher(&self) -> Option<LineMatcher> {
        let clauses: Vec<AhoCorasick> = self
            .clauses
            .iter()
            .filter_map(|needles| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(needles)
                    .ok()
            })
            .collect();
        // A clause that failed to compile is dropped: the matcher only gets
        // more permissive, never wrong.
        (!clauses.is_empty()).then_some(LineMatcher { clauses })
    }
}

/// A compiled [`LineHint`].
#[derive(Clone, Debug)]
pub struct LineMatcher {
    clauses: Vec<AhoCorasick>,
}

impl LineMatcher {
    /// Whether the filter could keep this line. A line with a `%` may spell
    /// its values percent-encoded (VEP writes `%3D` for `=`), which a page
    /// decodes before it compares, so such a line is always let through.
    pub fn may_match(&self, line: &[u8]) -> bool {
        memchr::memchr(b'%', line).is_some() || self.clauses.iter().all(|c| c.is_match(line))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(clauses: &[&[&str]]) -> LineMatcher {
        let mut hint = LineHint::default();
        for clause in clauses {
            hint.require_any(clause.iter().map(|s| (*s).to_owned()).collect());
        }
        hint.matcher().expect("some clause")
    }

    #[test]
    fn every_clause_must_hold_by_any_of_its_needles() {
        let m = hint(&[&["HIGH", "stop_gained"], &["BRCA2"]]);
        assert!(m.may_match(b"13\t100\t.\tA\tT\t.\tPASS\tCSQ=T|stop_gained|x|brca2"));
        assert!(m.may_match(b"13\t100\t.\tA\tT\t.\tPASS\tCSQ=T|y|High|BRCA2"));
        assert!(!m.may_match(b"13\t100\t.\tA\tT\t.\tPASS\tCSQ=T|missense|MODERATE|BRCA2"));
        assert!(!m.may_match(b"13\t100\t.\tA\tT\t.\tPASS\tCSQ=T|stop_gained|HIGH|TP53"));
    }

    #[test]
    fn a_percent_sign_lets_the_line_through() {
        let m = hint(&[&["p.Leu5="]]);
        assert!(!m.may_match(b"1\t5\t.\tA\tT\t.\tPASS\tCSQ=T|p.Leu6"));
        assert!(m.may_match(b"1\t5\t.\tA\tT\t.\tPASS\tCSQ=T|p.Leu5%3D"));
    }

    #[test]
    fn empty_needles_make_no_clause() {
        let mut hint = LineHint::default();
        hint.require_any(Vec::new());
        hint.require_any(vec!["x".into(), String::new()]);
        hint.require_any(vec!["BRCA2".into(), "é".into()]);
        assert!(hint.is_empty());
        assert!(hint.matcher().is_none());
    }
}
