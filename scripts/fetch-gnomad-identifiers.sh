#!/usr/bin/env bash
# Fetches @gnomad/identifiers (MIT, the gnomAD browser's own parser of variant ids and
# rs ids, https://www.npmjs.com/package/@gnomad/identifiers) with `npm pack` (a tarball
# from the npm registry: no install, no scripts run) into
#   ${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/npm/gnomad-identifiers-<version>/package/
# and keeps it there: a second run does no network. tests/http/triage_page.rs checks the
# default gnomAD and dbSNP link-outs of real records with it, under Node.js.
#
# Usage: scripts/fetch-gnomad-identifiers.sh   (prints the package directory)
set -euo pipefail

VERSION=${GNOMAD_IDENTIFIERS_VERSION:-3.0.1}
dir="${IGV_RELAY_CACHE:-$HOME/.cache/igv-relay}/npm/gnomad-identifiers-$VERSION"
if [[ ! -f "$dir/package/lib/cjs/identifiers.js" ]]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "@gnomad/identifiers@$VERSION" >/dev/null && tar xzf gnomad-identifiers-"$VERSION".tgz)
fi
echo "$dir/package"
