//! How far a record's link reaches beyond the record, when `?flank=` says
//! nothing: most records are the region they mean, but a GWAS hit is one
//! variant of a linkage-disequilibrium block, so its link shows the block
//! around it. The values are the service's configuration (`data.default_flank`,
//! `data.gwas_flank`), passed in as data: this crate reads no configuration.

use super::FormatKind;

/// Default of [`Flanks::gwas`]: 200 kb on each side, LocusZoom's default
/// 400 kb window, wide enough for the LD block around most lead variants.
pub const GWAS_FLANK: u64 = 200_000;

/// The largest [`Flanks::gwas`] the service starts with: 10 Mb on each side
/// spans even the MHC's long-range LD (a few Mb) several times over; more
/// would show IGV a stretch in which the association is lost.
pub const MAX_GWAS_FLANK: u64 = 10_000_000;

/// Bases added on each side of a record's locus unless `?flank=` says
/// otherwise, per kind of file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flanks {
    /// Every kind without a flank of its own (`data.default_flank`).
    pub default: u64,
    /// GWAS summary statistics (`data.gwas_flank`).
    pub gwas: u64,
}

impl Flanks {
    /// The flank the records of a `kind` file are linked with.
    pub fn for_kind(&self, kind: FormatKind) -> u64 {
        match kind {
            FormatKind::Gwas => self.gwas,
            _ => self.default,
        }
    }
}

impl Default for Flanks {
    fn default() -> Self {
        Flanks {
            default: 0,
            gwas: GWAS_FLANK,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gwas_files_get_their_own_flank_and_every_other_kind_the_default() {
        let flanks = Flanks {
            default: 10,
            gwas: 50_000,
        };
        assert_eq!(flanks.for_kind(FormatKind::Gwas), 50_000);
        for kind in FormatKind::ALL
            .into_iter()
            .filter(|k| *k != FormatKind::Gwas)
        {
            assert_eq!(flanks.for_kind(kind), 10, "{kind}");
        }
        assert_eq!(Flanks::default().for_kind(FormatKind::Gwas), GWAS_FLANK);
    }
}
