//! Numbers and sentences as people read them on pages and in messages.

/// `1234567` as `1,234,567`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A notice as a sentence: capitalised, with a full stop.
pub fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Items as a list in a sentence: `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(and_list(&[]), "");
        assert_eq!(and_list(&["b37"]), "b37");
        assert_eq!(and_list(&["b37", "hs1"]), "b37 and hs1");
        assert_eq!(and_list(&["b37", "hg19", "hs1"]), "b37, hg19 and hs1");
    }

    #[test]
    fn thousands_are_grouped_with_commas() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(812_118), "812,118");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn a_notice_becomes_a_sentence() {
        assert_eq!(
            sentence("the default was overruled"),
            "The default was overruled."
        );
        assert_eq!(sentence(""), "");
    }
}
