#!/usr/bin/env bash
# Vendors igv.js (npm package `igv`, MIT) into static/vendor/igv/: the one-file
# browser bundle, its licence, and the version. The service serves these from
# /static/vendor/igv/ (compiled into the binary, crates/igv-relay/src/routes/assets.rs); no page
# ever loads igv.js from a CDN.
#
#   scripts/vendor-igvjs.sh            # the pinned version below
#   IGVJS_VERSION=3.8.10 scripts/vendor-igvjs.sh
#
# Only `npm pack` is used (a tarball from the npm registry, no install, no
# scripts run). Commit the result; builds and tests need no network.
set -euo pipefail

VERSION="${IGVJS_VERSION:-3.8.10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/static/vendor/igv"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm pack --silent "igv@$VERSION" >/dev/null
tar -xzf "igv-$VERSION.tgz"
test -f package/dist/igv.min.js || { echo "igv@$VERSION has no dist/igv.min.js" >&2; exit 1; }
mkdir -p "$DEST"
cp package/dist/igv.min.js "$DEST/igv.min.js"
# The licence travels with the code (MIT requires it).
cp package/LICENSE "$DEST/LICENSE" 2>/dev/null || cp package/LICENSE.md "$DEST/LICENSE"
{
  echo "package: igv (https://www.npmjs.com/package/igv)"
  echo "version: $VERSION"
  echo "licence: MIT (LICENSE)"
  echo "file: dist/igv.min.js"
  echo "sha256: $(sha256sum "$DEST/igv.min.js" | cut -d' ' -f1)"
  echo "fetched by: scripts/vendor-igvjs.sh (npm pack igv@$VERSION)"
} > "$DEST/VERSION"
echo "vendored igv.js $VERSION into $DEST"
