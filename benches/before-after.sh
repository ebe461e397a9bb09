#!/usr/bin/env bash
# Two builds of igv-relay through the same benchmark scripts, alternated
# (A B A B ...), to see whether a change made anything slower: every figure
# of each script for both, the median of the rounds, and after/before.
#
#   bash benches/before-after.sh BEFORE_BINARY AFTER_BINARY [SCRIPT ...]
#
# SCRIPTs default to the server benchmarks: relay pages triage igv-reports
# galaxy-depth. ROUNDS (2) rounds of each. A figure's own baseline (nginx,
# wc, mawk, igv-reports) is re-run inside every script run, so compare the
# ratios first; absolute times drift with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -lt 2 ]]; then
    sed -n '2,11p' "$0" >&2
    exit 2
fi
before=$1 after=$2
shift 2
scripts=("$@")
[[ ${#scripts[@]} -gt 0 ]] || scripts=(relay pages triage igv-reports galaxy-depth)
rounds=${ROUNDS:-2}
out=$(mktemp -d "${TMPDIR:-/tmp}/igv-relay-before-after.XXXXXX")
echo "# outputs in $out" >&2

for script in "${scripts[@]}"; do
    for ((round = 1; round <= rounds; round++)); do
        for side in before after; do
            bin=$before
            [[ $side == after ]] && bin=$after
            echo "# $script, round $round, $side ($bin)" >&2
            IGV_RELAY_BIN=$bin bash "benches/$script.sh" >"$out/$script.$side.$round" ||
                echo "# $script ($side, round $round) failed" >&2
        done
    done
done

python3 - "$out" "${scripts[@]}" <<'EOF'
import statistics, sys, pathlib
out, scripts = pathlib.Path(sys.argv[1]), sys.argv[2:]
def figures(path):
    values = {}
    for line in path.read_text().splitlines():
        name, _, value = line.partition("=")
        try:
            values[name] = float(value)
        except ValueError:
            pass
    return values
print(f"{'figure':58} {'before':>12} {'after':>12} {'after/before':>12}")
for script in scripts:
    sides = {}
    for side in ("before", "after"):
        runs = [figures(p) for p in sorted(out.glob(f"{script}.{side}.*"))]
        names = {n for r in runs for n in r}
        sides[side] = {n: statistics.median([r[n] for r in runs if n in r]) for n in names}
    for name in sorted(set(sides["before"]) & set(sides["after"])):
        b, a = sides["before"][name], sides["after"][name]
        ratio = f"{a / b:.3f}" if b else "-"
        print(f"{script + ': ' + name:58} {b:12.4g} {a:12.4g} {ratio:>12}")
EOF
