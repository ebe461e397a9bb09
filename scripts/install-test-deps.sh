#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need (tests/support):
#   igv              IGV desktop 2.16 (pulls in a Java runtime with AWT)
#   xvfb xauth       a headless X server for it
#   xdotool          the dialog watchdog clicks IGV's modal dialogs away with it
#   x11-apps netpbm  xwd + xwdtopnm/pnmtopng: screenshots of the X display
#   chromium chromium-driver  the headless browser and its WebDriver server
#   firefox-esr      the second browser of the click tests (tests/http/e2e/click.rs); it must be
#                    144 or later (Local Network Access). Bookworm's stale package lists
#                    offer 140, so when the candidate is older this runs `apt-get update`.
#   geckodriver      Firefox's WebDriver server: not a Debian package, so it is built from
#                    crates.io (`cargo install --locked`) into
#                    ${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/tools, once, and reused.
#   ca-certificates  the WebDriver client (fantoccini/rustls) loads the system roots
#   nginx            a real reverse proxy in front of the service (tests/prefix_nginx.rs)
#   bcftools         htslib's reader, the independent judge of tests/real_files.rs
#   python3-pip      `pip download` of the PyPI source distributions in the real-file
#                    corpus (GDC MAFs from pymaftools; scripts/fetch-real-files.sh)
#   subread          featureCounts, which writes the real featureCounts table of
#                    tests/http/gene_tables.rs (counts over the GENCODE annotation)
#   plink            PLINK 1.07 (`p-link --assoc`), which writes the real GWAS summary
#                    statistics of tests/http/real_tools.rs
#   picard-tools     Picard's BedToIntervalList, which writes the real interval list of
#                    tests/http/real_tools.rs
#   r-bioc-edger     R with Bioconductor's edgeR and limma, which write the real edgeR
#                    and limma tables of tests/http/gene_tables.rs
#   nodejs           runs @gnomad/identifiers (scripts/fetch-gnomad-identifiers.sh), the
#                    gnomAD browser's own id parser, against the default link-outs
#                    (tests/http/triage_page.rs)
#   samtools         writes the test BAMs (scripts/make-pairing-bams.sh, make-e2e-bam.sh,
#                    make-demo-bam.sh) and reads the benchmark's (benches/pairing.sh)
#
# Idempotent: installs only what dpkg-query reports missing. `apt-get update` runs only if
# that install fails (stale or missing package lists), as igv-e2e.md §1 recommends, so a
# machine that has everything does no network at all.
#
# Usage: scripts/install-test-deps.sh [--no-browser]
set -euo pipefail

packages=(igv xvfb xauth xdotool x11-apps netpbm ca-certificates nginx bcftools python3-pip samtools subread plink picard-tools r-bioc-edger nodejs)
browsers=true
if [[ "${1:-}" == "--no-browser" ]]; then
    browsers=false
else
    packages+=(chromium chromium-driver)
fi
# The first Firefox with Local Network Access (browsers-lna.md).
FIREFOX_MIN_MAJOR=144
GECKODRIVER_VERSION=${GECKODRIVER_VERSION:-0.37.1}
tools="${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/tools"

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

major() { cut -d. -f1 <<<"${1:-0}" | tr -dc '0-9'; }

# firefox-esr, new enough: the installed version, else the candidate after (if
# the lists are too old for it) an update.
install_firefox() {
    local installed candidate
    installed=$(dpkg-query -W -f='${Version}' firefox-esr 2>/dev/null || true)
    if [[ -n "$installed" && $(major "$installed") -ge $FIREFOX_MIN_MAJOR ]]; then
        echo "install-test-deps: firefox-esr $installed installed"
        return
    fi
    candidate=$(apt-cache policy firefox-esr 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z "$candidate" || "$candidate" == "(none)" || $(major "$candidate") -lt $FIREFOX_MIN_MAJOR ]]; then
        echo "install-test-deps: firefox-esr candidate ${candidate:-none} is older than $FIREFOX_MIN_MAJOR; updating the package lists"
        "${sudo[@]}" apt-get update
    fi
    "${sudo[@]}" apt-get install -y --no-install-recommends firefox-esr
    installed=$(dpkg-query -W -f='${Version}' firefox-esr 2>/dev/null || true)
    if [[ $(major "$installed") -lt $FIREFOX_MIN_MAJOR ]]; then
        echo "install-test-deps: firefox-esr ${installed:-not installed} is older than $FIREFOX_MIN_MAJOR (no Local Network Access)" >&2
        exit 1
    fi
    echo "install-test-deps: firefox-esr $installed installed"
}

# geckodriver from crates.io, built once into the cache directory.
install_geckodriver() {
    if command -v geckodriver >/dev/null 2>&1; then
        echo "install-test-deps: geckodriver on PATH ($(command -v geckodriver))"
        return
    fi
    if [[ -x "$tools/bin/geckodriver" ]]; then
        echo "install-test-deps: geckodriver in $tools/bin"
        return
    fi
    echo "install-test-deps: building geckodriver $GECKODRIVER_VERSION into $tools (a few minutes, once)"
    cargo install --locked geckodriver --version "$GECKODRIVER_VERSION" --root "$tools"
}

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-test-deps: all installed (${packages[*]})"
else
    install=("${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}")
    echo "install-test-deps: installing ${missing[*]}"
    if ! "${install[@]}"; then
        echo "install-test-deps: install failed; updating the package lists and retrying"
        "${sudo[@]}" apt-get update
        "${install[@]}"
    fi
fi

if [[ "$browsers" == true ]]; then
    install_firefox
    install_geckodriver
fi
