#!/usr/bin/env bash
# Installs the Debian packages the end-to-end tests need (tests/support):
#   igv              IGV desktop 2.16 (pulls in a Java runtime with AWT)
#   xvfb xauth       a headless X server for it
#   xdotool          the dialog watchdog clicks IGV's modal dialogs away with it
#   x11-apps netpbm  xwd + xwdtopnm/pnmtopng: screenshots of the X display
#   chromium chromium-driver  the headless browser and its WebDriver server
#   ca-certificates  the WebDriver client (fantoccini/rustls) loads the system roots
#   nginx            a real reverse proxy in front of the service (tests/prefix_nginx.rs)
#   bcftools         htslib's reader, the independent judge of tests/real_files.rs
#
# Idempotent: installs only what dpkg-query reports missing. `apt-get update` runs only if
# that install fails (stale or missing package lists), as igv-e2e.md §1 recommends, so a
# machine that has everything does no network at all.
#
# Usage: scripts/install-test-deps.sh [--no-browser]
set -euo pipefail

packages=(igv xvfb xauth xdotool x11-apps netpbm ca-certificates nginx bcftools)
if [[ "${1:-}" != "--no-browser" ]]; then
    packages+=(chromium chromium-driver)
fi

missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    if [[ "$status" != "installed" ]]; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-test-deps: all installed (${packages[*]})"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
install=("${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}")

echo "install-test-deps: installing ${missing[*]}"
if ! "${install[@]}"; then
    echo "install-test-deps: install failed; updating the package lists and retrying"
    "${sudo[@]}" apt-get update
    "${install[@]}"
fi
