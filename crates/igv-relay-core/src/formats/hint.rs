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
/// its needles (ASCII case-insensitive); and numeric conditions on VCF INFO
/// keys, read from the raw INFO column as a page reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineHint {
    clauses: Vec<Vec<String>>,
    numbers: Vec<InfoNumber>,
}

/// `KEY OP NUMBER` on a VCF INFO key (`DP>=20`, `AF<0.01`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoNumber {
    pub key: String,
    pub op: NumberOp,
    /// As written; it parses as a number.
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
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

    /// Adds a numeric condition on an INFO key of a VCF line (left out when
    /// its value is not a number).
    pub fn require_info_number(&mut self, key: &str, op: NumberOp, value: &str) {
        if !key.is_empty() && value.parse::<f64>().is_ok() {
            self.numbers.push(InfoNumber {
                key: key.to_owned(),
                op,
                value: value.to_owned(),
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty() && self.numbers.is_empty()
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
        let numbers: Vec<(InfoNumber, f64)> = self
            .numbers
            .iter()
            .filter_map(|n| Some((n.clone(), n.value.parse().ok()?)))
            .collect();
        (!clauses.is_empty() || !numbers.is_empty()).then_some(LineMatcher { clauses, numbers })
    }
}

/// A compiled [`LineHint`].
#[derive(Clone, Debug)]
pub struct LineMatcher {
    clauses: Vec<AhoCorasick>,
    numbers: Vec<(InfoNumber, f64)>,
}

impl LineMatcher {
    /// Whether the filter could keep this line. A line with a `%` may spell
    /// its values percent-encoded (VEP writes `%3D` for `=`), which a page
    /// decodes before it compares, so such a line is always let through.
    pub fn may_match(&self, line: &[u8]) -> bool {
        if memchr::memchr(b'%', line).is_some() {
            return true;
        }
        if !self.clauses.iter().all(|c| c.is_match(line)) {
            return false;
        }
        if self.numbers.is_empty() {
            return true;
        }
        // INFO is the eighth column; a line without one is malformed and is
        // for the parser to report.
        let Some(info) = line.split(|b| *b == b'\t').nth(7) else {
            return true;
        };
        self.numbers
            .iter()
            .all(|(number, limit)| info_number_may_hold(info, number, *limit))
    }
}

/// What a page's condition on INFO `number.key` decides, read from the raw
/// INFO column the way `VcfValues::info_value` reads it: the first field
/// named `key`; a flag or an absent key has no number (the condition fails);
/// `,`-separated values, any of which may satisfy it, `.` and empty ones left
/// out. Bytes that are not UTF-8 are let through (the line is repaired before
/// a page reads it).
fn info_number_may_hold(info: &[u8], number: &InfoNumber, limit: f64) -> bool {
    if info == b"." {
        return false;
    }
    let key = number.key.as_bytes();
    let Some(field) = info.split(|b| *b == b';').find(|field| {
        field.starts_with(key) && (field.len() == key.len() || field[key.len()] == b'=')
    }) else {
        return false;
    };
    let Some(values) = field.get(key.len() + 1..) else {
        // A flag: its value is `true`, which is no number (and no number's
        // spelling either).
        return false;
    };
    values
        .split(|b| *b == b',')
        .filter(|v| !v.is_empty() && *v != b".")
        .any(|v| {
            let Ok(text) = std::str::from_utf8(v) else {
                return true;
            };
            match (number.op, text.parse::<f64>()) {
                (NumberOp::Eq, Ok(v)) => v == limit,
                // As a page compares: a value that is no number equals the
                // condition's text, ignoring ASCII case.
                (NumberOp::Eq, Err(_)) => text.eq_ignore_ascii_case(&number.value),
                (_, Err(_)) => false,
                (NumberOp::Lt, Ok(v)) => v < limit,
                (NumberOp::Le, Ok(v)) => v <= limit,
                (NumberOp::Gt, Ok(v)) => v > limit,
                (NumberOp::Ge, Ok(v)) => v >= limit,
            }
        })
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

    #[test]
    fn info_numbers_are_read_as_a_page_reads_them() {
        let holds = |info: &str, key: &str, op: NumberOp, value: &str| {
            let mut hint = LineHint::default();
            hint.require_info_number(key, op, value);
            let line = format!("1\t5\t.\tA\tT\t.\tPASS\t{info}\tGT\t0/1");
            hint.matcher().expect("a check").may_match(line.as_bytes())
        };
        use NumberOp::*;
        assert!(holds("DP=5", "DP", Lt, "10"));
        assert!(!holds("DP=50", "DP", Lt, "10"));
        // The first field of that name counts, as `VcfValues::info_value` reads it.
        assert!(!holds("DP=50;DP=5", "DP", Lt, "10"));
        // Another key that starts the same is not it.
        assert!(!holds("DPX=5;DP=50", "DP", Lt, "10"));
        assert!(holds("DPX=50;DP=5", "DP", Lt, "10"));
        // Any of several values; `.` and empty ones are no value.
        assert!(holds("AF=0.3,0.001", "AF", Lt, "0.01"));
        assert!(!holds("AF=.,0.3", "AF", Lt, "0.01"));
        assert!(!holds("AF=", "AF", Ge, "0"));
        // A flag, an absent key and a missing INFO have no number.
        assert!(!holds("DP;AF=0.1", "DP", Ge, "0"));
        assert!(!holds("AF=0.1", "DP", Ge, "0"));
        assert!(!holds(".", "DP", Ge, "0"));
        // `=` compares numbers as numbers.
        assert!(holds("DP=20.0", "DP", Eq, "20"));
        assert!(!holds("DP=21", "DP", Eq, "20"));
        // A value that is not a number: only `=` with the same text could hold.
        assert!(!holds("DP=high", "DP", Gt, "1"));
        // A condition whose value is no number gives no check at all.
        let mut hint = LineHint::default();
        hint.require_info_number("DP", Lt, "ten");
        assert!(hint.is_empty());
    }
}
