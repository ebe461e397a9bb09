//! The genomes the service knows: built-in chromosome tables (public facts,
//! shipped as data files under `genomes/`) plus those from configuration, and
//! the Galaxy dbkey → genome table.

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use crate::configuration::{GeneSettings, GenomeSettings, Settings};
use crate::domain::genes::{GeneIndex, GeneIndexError};
use crate::domain::genome::{Genome, GenomeError, GenomeId};
use crate::domain::igvjs::{IgvJsGenome, IgvJsGenomeError};

const BUILTIN: &[(&str, &str)] = &[
    ("hg38", include_str!("../genomes/hg38.chrom.sizes")),
    ("hg19", include_str!("../genomes/hg19.chrom.sizes")),
    ("b37", include_str!("../genomes/b37.chrom.sizes")),
    ("mm10", include_str!("../genomes/mm10.chrom.sizes")),
    ("mm39", include_str!("../genomes/mm39.chrom.sizes")),
];

/// Built-in genomes igv.js knows by the same id (its hosted genome list);
/// b37 has no hosted twin with its chromosome names.
const BUILTIN_IGVJS: &[&str] = &["hg38", "hg19", "mm10", "mm39"];

const SHIPPED_DBKEYS: &str = include_str!("../genomes/dbkeys.tsv");

#[derive(Debug)]
pub struct GenomeRegistry {
    genomes: BTreeMap<String, Genome>,
    dbkeys: HashMap<String, String>,
    /// Genome id → how igv.js loads it; a genome without one has no viewer.
    igvjs: BTreeMap<String, IgvJsGenome>,
}

impl GenomeRegistry {
    pub fn from_settings(settings: &Settings) -> Result<Self, RegistryError> {
        let mut genomes = BTreeMap::new();
        for (id, sizes) in BUILTIN {
            let gid = GenomeId::parse(id)?;
            let chromosomes = Genome::parse_sizes(sizes)?;
            let genome = Genome::new(gid, (*id).to_owned(), chromosomes, &BTreeMap::new())?;
            genomes.insert((*id).to_owned(), genome);
        }
        let mut igvjs: BTreeMap<String, IgvJsGenome> = BUILTIN_IGVJS
            .iter()
            .map(|id| ((*id).to_owned(), IgvJsGenome::Hosted((*id).to_owned())))
            .collect();
        for (id, def) in &settings.genomes {
            let mut genome = match genomes.get(id) {
                // A built-in genome named only to add genes keeps its chromosomes.
                Some(builtin) if def.has_no_chromosomes() => builtin.clone(),
                _ => load_configured(id, def)?,
            };
            if let Some(source) = def.genes.as_deref() {
                genome = with_genes(genome, source, &settings.genes)?;
            }
            genomes.insert(id.clone(), genome);
            // A configured genome replaces a built-in one entirely.
            igvjs.remove(id);
            if let Some(js) = &def.igvjs {
                let parsed = IgvJsGenome::parse(
                    js.id.as_deref(),
                    js.fasta.as_deref(),
                    js.index.as_deref(),
                    js.cytoband.as_deref(),
                )
                .map_err(|error| RegistryError::IgvJs {
                    genome: id.clone(),
                    error,
                })?;
                igvjs.insert(id.clone(), parsed);
            }
        }
        let mut dbkeys: HashMap<String, String> = SHIPPED_DBKEYS
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for (dbkey, id) in &settings.galaxy.dbkeys {
            dbkeys.insert(dbkey.clone(), id.clone());
        }
        for (dbkey, id) in &dbkeys {
            if !genomes.contains_key(id) {
                return Err(RegistryError::DbkeyTarget {
                    dbkey: dbkey.clone(),
                    id: id.clone(),
                });
            }
        }
        Ok(Self {
            genomes,
            dbkeys,
            igvjs,
        })
    }

    /// Looks a genome up by the id a request names.
    pub fn get(&self, id: &str) -> Result<&Genome, GenomeError> {
        GenomeId::parse(id)?;
        self.genomes.get(id).ok_or_else(|| GenomeError::Unknown {
            id: id.to_owned(),
            known: self.ids().join(", "),
        })
    }

    /// The genome a request's optional `genome` parameter names; blank is none.
    pub fn lookup(&self, id: Option<&str>) -> Result<Option<&Genome>, GenomeError> {
        match id.map(str::trim).filter(|id| !id.is_empty()) {
            None => Ok(None),
            Some(id) => self.get(id).map(Some),
        }
    }

    /// The genome for a Galaxy dbkey: the shipped/configured table first,
    /// then a genome with the same id. `?` (Galaxy's "unset") gives `None`.
    pub fn for_dbkey(&self, dbkey: &str) -> Option<&Genome> {
        if dbkey == "?" {
            return None;
        }
        let id = self.dbkeys.get(dbkey).map(String::as_str).unwrap_or(dbkey);
        self.genomes.get(id)
    }

    pub fn ids(&self) -> Vec<&str> {
        self.genomes.keys().map(String::as_str).collect()
    }

    pub fn all(&self) -> impl Iterator<Item = &Genome> {
        self.genomes.values()
    }

    /// How igv.js loads genome `id`, if it can.
    pub fn igvjs(&self, id: &str) -> Option<&IgvJsGenome> {
        self.igvjs.get(id)
    }

    /// Every genome's igv.js definition (for the pages' CSP).
    pub fn all_igvjs(&self) -> impl Iterator<Item = &IgvJsGenome> {
        self.igvjs.values()
    }
}

/// Indexes (or reads the kept index of) a genome's gene annotation.
fn with_genes(
    genome: Genome,
    source: &str,
    settings: &GeneSettings,
) -> Result<Genome, RegistryError> {
    let cache = settings.cache_dir();
    let path = if source.starts_with("http://") || source.starts_with("https://") {
        crate::sources::download::fetch_to_cache(source, cache.as_deref())?
    } else {
        std::path::PathBuf::from(source)
    };
    let started = std::time::Instant::now();
    let (index, origin) = GeneIndex::open(&path, cache.as_deref(), settings.max_names)?;
    tracing::info!(
        genome = %genome.id(),
        source,
        names = index.len(),
        from = ?origin,
        ms = started.elapsed().as_millis() as u64,
        "gene annotation loaded"
    );
    Ok(genome.with_genes(Arc::new(index), settings.flank))
}

fn load_configured(id: &str, def: &GenomeSettings) -> Result<Genome, RegistryError> {
    let gid = GenomeId::parse(id)?;
    let mut chromosomes = Vec::new();
    for path in [&def.fai, &def.chrom_sizes].into_iter().flatten() {
        let text = std::fs::read_to_string(path).map_err(|e| RegistryError::File {
            genome: id.to_owned(),
            path: path.display().to_string(),
            error: e.to_string(),
        })?;
        chromosomes.extend(Genome::parse_sizes(&text)?);
    }
    for (name, length) in &def.chromosomes {
        let line = format!("{name}\t{length}");
        chromosomes.extend(Genome::parse_sizes(&line)?);
    }
    let igv_genome = def.igv_genome.clone().unwrap_or_else(|| id.to_owned());
    Ok(Genome::new(gid, igv_genome, chromosomes, &def.aliases)?)
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("genome {genome}: cannot read {path}: {error}")]
    File {
        genome: String,
        path: String,
        error: String,
    },
    #[error("genome {genome}: igvjs: {error}")]
    IgvJs {
        genome: String,
        error: IgvJsGenomeError,
    },
    #[error("Galaxy dbkey {dbkey:?} maps to genome {id:?}, which is not defined")]
    DbkeyTarget { dbkey: String, id: String },
    #[error(transparent)]
    Genome(#[from] GenomeError),
    #[error(transparent)]
    Genes(#[from] GeneIndexError),
    #[error(transparent)]
    Download(#[from] crate::sources::download::DownloadError),
}
