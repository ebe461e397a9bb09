#!/usr/bin/env bash
# Instructions per page, counted by valgrind's callgrind: the same on a busy
# or an idle machine, so two builds can be compared while other work runs
# (page times of a few milliseconds swing 2-3x on a shared machine).
#
#   bash benches/pages-profile.sh [BINARY ...]     (default: the release build)
#
# For each binary: the service under callgrind with one worker, serving a
# 10^3- and a 10^6-record VCF (plain and bgzipped) and an annotated VCF for
# a filtered triage page. Every page is visited once and the background
# totals are awaited first; then the counters are zeroed, the page is fetched
# REPEAT (10) times, and the counters dumped: instructions per page, without
# start-up or the one-off counting pass.
#
# Prints per binary (numbered 1, 2, ... in argument order):
#   b1_page1_small_vcf_instructions= ... b1_first_page_filtered_instructions=
# and, with two binaries, b2/b1 for each page.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPEAT=${REPEAT:-10}
LARGE=${LARGE:-1000000}
need_deb valgrind
need_deb curl
need_deb bgzip tabix

binaries=("$@")
[[ ${#binaries[@]} -gt 0 ]] || binaries=("$(relay_binary)")

data="$BENCH_WORK/p"
mkdir -p "$data"
gen=$(gen_vcf_binary)
log "generating VCFs of 1000 and $LARGE records"
"$gen" --records 1000 --out "$data/small.vcf"
"$gen" --records "$LARGE" --out "$data/large.vcf"
bgzip -c "$data/small.vcf" >"$data/small.vcf.gz"
bgzip -@2 -c "$data/large.vcf" >"$data/large.vcf.gz"
# An annotated file for a filtered page (as benches/triage.sh, smaller).
"$gen" --records 100000 --out "$BENCH_WORK/plain.vcf"
awk -v OFS='\t' '
    /^#CHROM/ {
        print "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL\">"
        print; next
    }
    /^#/ { print; next }
    {
        n++
        i = (n % 50 == 0) ? "HIGH" : "MODIFIER"
        $8 = ($8 == "." ? "" : $8 ";") "CSQ=A|x|" i "|GENE" (n % 997)
        print
    }' "$BENCH_WORK/plain.vcf" >"$data/annotated.vcf"

pages=(
    "page1_small_vcf small.vcf"
    "page1_large_vcf large.vcf"
    "page1_small_vcf_gz small.vcf.gz"
    "page1_large_vcf_gz large.vcf.gz"
    "first_page_filtered annotated.vcf?where=Impact%3DHIGH"
)

# profile N BINARY: prints "NAME INSTRUCTIONS_PER_PAGE" per page.
profile() {
    local n=$1 bin=$2 port out pid entry name path url part total
    port=$(free_port)
    out="$BENCH_WORK/callgrind.$n"
    env IGV_RELAY__LIMITS__WORKERS=1 IGV_RELAY__LOG__LEVEL=warn \
        valgrind --tool=callgrind --callgrind-out-file="$out" \
        "$bin" serve --bind "127.0.0.1:$port" --data-dir "$data" >"$BENCH_WORK/server.$n.log" 2>&1 &
    pid=$!
    BENCH_PIDS+=("$pid")
    wait_http "http://127.0.0.1:$port/healthz" 120
    restart_budget
    part=0
    for entry in "${pages[@]}"; do
        read -r name path <<<"$entry"
        url="http://127.0.0.1:$port/files/p/$path"
        # The first visit starts the background totals; wait until the page knows them.
        until curl -s -o "$BENCH_WORK/page.html" "$url" &&
            grep -q "of <strong>" "$BENCH_WORK/page.html"; do
            check_budget 280
            sleep 1
        done
        callgrind_control -z "$pid" >/dev/null
        for ((i = 0; i < REPEAT; i++)); do
            curl -s -o /dev/null "$url"
        done
        callgrind_control -d "$pid" >/dev/null
        part=$((part + 1))
        total=$(awk '/^summary:/ {print $2}' "$out.$part" 2>/dev/null || echo 0)
        log "binary $n, $name: $total instructions in $REPEAT pages"
        echo "$name $((total / REPEAT))"
    done
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

for ((b = 0; b < ${#binaries[@]}; b++)); do
    n=$((b + 1))
    profile "$n" "${binaries[$b]}" >"$BENCH_WORK/figures.$n"
    while read -r name value; do
        echo "b${n}_${name}_instructions=$value"
    done <"$BENCH_WORK/figures.$n"
done
if [[ ${#binaries[@]} -eq 2 ]]; then
    paste "$BENCH_WORK/figures.1" "$BENCH_WORK/figures.2" |
        while read -r name one _ two; do
            echo "b2_vs_b1_${name}_instructions_ratio=$(ratio "$two" "$one")"
        done
fi
