//! Chromosomes in the order a karyotype shows them, for the pictures that
//! lay a genome out end to end (Manhattan plot, SEG segments).

use std::cmp::Ordering;

/// `1 < 2 < … < 22 < X < Y < M`, `chr` or not; other names after, by name.
pub(crate) fn karyotype_order(a: &str, b: &str) -> Ordering {
    fn rank(name: &str) -> (u32, String) {
        let bare = name.strip_prefix("chr").unwrap_or(name);
        match bare {
            "X" | "x" | "23" => (23, String::new()),
            "Y" | "y" | "24" => (24, String::new()),
            "M" | "MT" | "m" | "mt" => (25, String::new()),
            _ => match bare.parse::<u32>() {
                Ok(n) => (n, String::new()),
                Err(_) => (u32::MAX, bare.to_owned()),
            },
        }
    }
    rank(a).cmp(&rank(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chromosomes_follow_the_karyotype() {
        let mut names = vec!["chrX", "chr10", "chr2", "chrM", "chr1", "chrUn_x"];
        names.sort_by(|a, b| karyotype_order(a, b));
        assert_eq!(names, ["chr1", "chr2", "chr10", "chrX", "chrM", "chrUn_x"]);
    }
}
