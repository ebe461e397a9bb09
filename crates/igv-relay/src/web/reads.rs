//! The "Reads" box of a VCF's link page: which BAM/CRAM files each row's
//! "reads here" loads and why, the files offered beside them, those that
//! cannot be used and why, and the links that change the choice (each a
//! `?reads=` value on the same view).

/// What `?reads=` a link of the box sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadsQuery {
    /// No `?reads=`: the files paired by sample.
    Automatic,
    /// Exactly these files (paths in the data root); none: no reads.
    Only(Vec<String>),
}

impl ReadsQuery {
    /// The `?reads=` value (`None`: no parameter). Paths are separated by
    /// spaces, as the relay's own file lists are; `none` chooses no reads.
    pub fn value(&self) -> Option<String> {
        match self {
            Self::Automatic => None,
            Self::Only(paths) if paths.is_empty() => Some(NO_READS.to_owned()),
            Self::Only(paths) => Some(paths.join(" ")),
        }
    }
}

/// The `?reads=` value that shows no reads.
pub const NO_READS: &str = "none";

/// One file the box lists, before its link is made.
#[derive(Clone, Debug)]
pub struct ReadsEntry {
    /// The file's path in the data root.
    pub path: String,
    /// The samples its read groups name, for people.
    pub samples: String,
    /// Why it is loaded, offered or unusable.
    pub why: String,
    /// What its link ("drop", "add") sets, if it has one.
    pub action: Option<ReadsQuery>,
}

/// The box as the route found it; [`ReadsChoice::panel`] makes its links.
#[derive(Clone, Debug, Default)]
pub struct ReadsChoice {
    pub loaded: Vec<ReadsEntry>,
    pub offered: Vec<ReadsEntry>,
    pub unusable: Vec<ReadsEntry>,
    /// Samples of the VCF no file pairs with.
    pub unpaired_samples: Vec<String>,
    /// `?reads=` chose the files (else they were paired by sample).
    pub explicit: bool,
    /// Lines said under the lists (a walk that stopped at its bound).
    pub notes: Vec<String>,
    /// Where paired files were looked for, when not the file's directory
    /// and below (a Galaxy history).
    pub scope: Option<String>,
}

/// One listed file with its link.
#[derive(Clone, Debug)]
pub struct ReadsItem {
    pub path: String,
    pub samples: String,
    pub why: String,
    pub action_url: Option<String>,
}

/// The box as the page shows it.
#[derive(Clone, Debug)]
pub struct ReadsPanel {
    pub loaded: Vec<ReadsItem>,
    pub offered: Vec<ReadsItem>,
    pub unusable: Vec<ReadsItem>,
    pub unpaired_samples: String,
    pub explicit: bool,
    /// Back to the files paired by sample (when `?reads=` chose).
    pub automatic_url: Option<String>,
    /// No reads at all (when some are loaded).
    pub none_url: Option<String>,
    pub notes: Vec<String>,
    pub scope: Option<String>,
}

impl ReadsChoice {
    /// The box, with `url` making each link's page URL.
    pub fn panel(&self, url: impl Fn(&ReadsQuery) -> String) -> ReadsPanel {
        let items = |entries: &[ReadsEntry]| {
            entries
                .iter()
                .map(|e| ReadsItem {
                    path: e.path.clone(),
                    samples: e.samples.clone(),
                    why: e.why.clone(),
                    action_url: e.action.as_ref().map(&url),
                })
                .collect()
        };
        ReadsPanel {
            loaded: items(&self.loaded),
            offered: items(&self.offered),
            unusable: items(&self.unusable),
            unpaired_samples: self.unpaired_samples.join(", "),
            explicit: self.explicit,
            automatic_url: self.explicit.then(|| url(&ReadsQuery::Automatic)),
            none_url: (!self.loaded.is_empty()).then(|| url(&ReadsQuery::Only(Vec::new()))),
            notes: self.notes.clone(),
            scope: self.scope.clone(),
        }
    }
}
