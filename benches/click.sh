#!/usr/bin/env bash
# Click -> IGV shows the locus (issue 22), on the real IGV 2.16 of the test
# harness, in real headless Chromium and Firefox ESR with Local Network Access
# on as for a public server: the #[ignore]d tests
# `click::bench_click_to_locus_in_{chromium,firefox}` of tests/http/e2e/.
#
# Each clicks "View in IGV" on a link page once (that click loads the file's
# track), then 20 times on other rows (IGV skips the file it has and only
# moves), and, as the baseline in the same run, clicks 20 plain links on a
# loopback page straight to the very IGV URLs the relay redirects to (one hop,
# no relay). "IGV shows the locus" is when IGV starts its answer, seen by a
# byte-for-byte TCP relay in front of IGV's port (IGV moves before it answers,
# igv-e2e.md §4), and every click is then checked by reading IGV's locus back.
# Times are given twice: from the WebDriver click command, and from the click
# event in the page (what a person's click costs, without WebDriver's own
# round trips).
#
# The service under test is the debug build the tests use; IGV, the browsers
# and geckodriver come from scripts/install-test-deps.sh.
#
# Environment: BROWSERS ("chromium firefox"). Prints one `name=value` line per
# figure (milliseconds; ratios relay/direct of the medians).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

BROWSERS=${BROWSERS:-chromium firefox}
target_dir=${CARGO_TARGET_DIR:-$BENCH_ROOT/target}

cd "$BENCH_ROOT"
log "building the e2e test binary"
cargo test --test http --no-run >&2
for browser in $BROWSERS; do
    rm -f "$target_dir/tmp/click-bench-$browser.json"
    log "$browser: 1 + 20 clicks through the relay, 20 straight to IGV"
    cargo test --test http -- --ignored --exact "e2e::click::bench_click_to_locus_in_$browser" \
        --test-threads=1 >&2
    python3 - "$target_dir/tmp/click-bench-$browser.json" "$browser" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
b = sys.argv[2]
def line(name, value):
    digits = 3 if "_over_" in name else 1
    print(f"{b}_{name}={value:.{digits}f}")
line("first_click_ms", r["first_click_ms"])
for key in ["relay", "direct", "relay_from_event", "direct_from_event", "readback"]:
    s = r[key]
    line(f"{key}_median_ms", s["median_ms"])
    line(f"{key}_min_ms", s["min_ms"])
    line(f"{key}_max_ms", s["max_ms"])
line("relay_over_direct", r["relay_over_direct"])
line("relay_over_direct_from_event", r["relay_over_direct_from_event"])
# The flow this replaced: 2.15 s from click to IGV (issue 22, Chromium 148).
line("relay_over_old_landing_flow", r["relay"]["median_ms"] / 2150.0)
EOF
done
