#!/usr/bin/env bash
# Runs every test of igv-relay: formatting, lints, unit, black-box and
# end-to-end tests (real IGV desktop under Xvfb, real headless Chromium).
# As root it first installs the Debian packages the end-to-end tests need.
# With CI=true, end-to-end tests fail (rather than skip) when IGV or the
# browser is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -f scripts/install-test-deps.sh ]; then
  if [ "$(id -u)" = 0 ]; then
    bash scripts/install-test-deps.sh
  else
    echo "test.sh: not root, not installing test packages (end-to-end tests may skip)" >&2
  fi
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked --all-targets
