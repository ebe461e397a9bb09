#!/usr/bin/env bash
# Link pages of small and large VCFs, plain and bgzipped, against the file size
# and against `wc -l`:
#   - page 1 of a 10^6-record VCF vs page 1 of a 10^3-record one (target <= 1.5)
#   - page 5,000 of the large file on a second visit (target <= 50 ms)
#   - full TSV export throughput vs `wc -l` on the same file (target >= 0.25;
#     for .vcf.gz the baseline is `bgzip -dc | wc -l`)
#   - the server's peak RSS during the exports (target <= 64 MB)
#   - the floor: the export's output served as a plain file, vs `wc -l`
#   - full TSV export vs `mawk` printing the same columns (target >= 2, issue 17)
#     and, for .vcf.gz, vs `zcat | mawk` (target >= 1.5, issue 28)
#
# Every timing is the median of REPEAT runs; baseline and subject runs alternate.
# Prints one `name=value` line per figure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPEAT=${REPEAT:-7}
EXPORT_REPEAT=${EXPORT_REPEAT:-5}
LARGE=${LARGE:-1000000}
SMALL=${SMALL:-1000}

need_deb curl
need_deb bgzip tabix

data="$BENCH_WORK/data"
mkdir -p "$data"
gen=$(gen_vcf_binary)
log "generating VCFs of $SMALL and $LARGE records"
"$gen" --records "$SMALL" --out "$data/small.vcf"
"$gen" --records "$LARGE" --out "$data/large.vcf"
bgzip -c "$data/small.vcf" >"$data/small.vcf.gz"
bgzip -@2 -c "$data/large.vcf" >"$data/large.vcf.gz"

start_relay "$data" "$BENCH_WORK/relay.log"
files="$RELAY_URL/files/$(basename "$data")"
check_budget

# time_median URL: median seconds of REPEAT fetches (after one warm-up fetch).
time_median() {
    local url=$1 i
    curl_time "$url" >/dev/null
    for ((i = 0; i < REPEAT; i++)); do curl_time "$url"; done | median
}

# Page 1, small and large alternated.
for ext in vcf vcf.gz; do
    read -r small large < <(alternated_medians "$files/small.$ext" "$files/large.$ext")
    key=${ext//./_}
    log "page 1 ($ext): small ${small}s, large ${large}s"
    echo "page1_large_vs_small_${key}_ratio=$(ratio "$large" "$small")"
done
check_budget

# Page 5,000 of the large file: the first visit reads up to it, the second uses
# the positions the first one remembered.
for ext in vcf vcf.gz; do
    key=${ext//./_}
    first=$(curl_time "$files/large.$ext?page=5000" "$BENCH_WORK/page5000.html")
    second=$(time_median "$files/large.$ext?page=5000")
    # Page 5,000 starts at record 499,901: its line number is the header's
    # length more. Both visits must show it.
    expected=$(($(grep -c '^#' "$data/large.vcf") + 499901))
    curl -s -o "$BENCH_WORK/page5000b.html" "$files/large.$ext?page=5000"
    for page in "$BENCH_WORK/page5000.html" "$BENCH_WORK/page5000b.html"; do
        if ! grep -q "<td class=\"num\">$expected</td>" "$page"; then
            echo "page 5000 of large.$ext does not start at line $expected" >&2
            exit 1
        fi
    done
    log "page 5000 ($ext): first visit ${first}s, second ${second}s"
    echo "page5000_first_visit_${key}_ms=$(awk -v s="$first" 'BEGIN {printf "%.1f", s * 1000}')"
    echo "page5000_second_visit_${key}_ms=$(awk -v s="$second" 'BEGIN {printf "%.1f", s * 1000}')"
done
check_budget

# Full TSV export vs wc -l, alternated; throughput = file bytes / seconds.
wc_time() {
    local start end
    start=$(date +%s.%N)
    if [[ $1 == *.gz ]]; then
        bgzip -dc "$1" | wc -l >/dev/null
    else
        wc -l "$1" >/dev/null
    fi
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}

for ext in vcf vcf.gz; do
    key=${ext//./_}
    file="$data/large.$ext"
    : >"$BENCH_WORK/wc" && : >"$BENCH_WORK/export"
    cat "$file" >/dev/null
    for ((i = 0; i < EXPORT_REPEAT; i++)); do
        check_budget
        wc_time "$file" >>"$BENCH_WORK/wc"
        # Into /dev/null like `wc -l`'s output: writing 146 MB to disk would
        # time the client's disk, on the same two cores.
        curl_time "$files/large.$ext?format=tsv&links_only=1" >>"$BENCH_WORK/export"
    done
    # Checked once, untimed: every record made it.
    curl -s -o "$BENCH_WORK/export.tsv" "$files/large.$ext?format=tsv&links_only=1"
    # The header and the rows; comment lines (the genome used) aside.
    lines=$(grep -vc '^#' "$BENCH_WORK/export.tsv")
    wc_s=$(median <"$BENCH_WORK/wc")
    export_s=$(median <"$BENCH_WORK/export")
    bytes=$(stat -c %s "$data/large.vcf")
    log "export ($ext): $lines TSV lines in ${export_s}s; wc -l ${wc_s}s"
    if ((lines != LARGE + 1)); then
        echo "export of large.$ext has $lines lines, expected $((LARGE + 1))" >&2
        exit 1
    fi
    echo "export_${key}_mb_per_s=$(awk -v b="$bytes" -v s="$export_s" 'BEGIN {printf "%.1f", b / s / 1e6}')"
    echo "export_${key}_records_per_s=$(awk -v n="$LARGE" -v s="$export_s" 'BEGIN {printf "%.0f", n / s}')"
    echo "wc_${key}_mb_per_s=$(awk -v b="$bytes" -v s="$wc_s" 'BEGIN {printf "%.1f", b / s / 1e6}')"
    echo "export_vs_wc_${key}_throughput_ratio=$(ratio "$wc_s" "$export_s" 4)"
done

# Full TSV export vs mawk printing the same columns (line, locus, label, relay
# URL, IGV URL): both into /dev/null, alternated, median of MAWK_REPEAT. The
# plain VCF against mawk (issue 28's target: a ratio >= 2, the export twice as
# fast), the bgzipped one against `zcat | mawk` (target >= 1.5).
MAWK_REPEAT=${MAWK_REPEAT:-3}
need_deb mawk
# same_columns FILE...: mawk printing those columns (stdin without FILE).
same_columns() {
    mawk -F'\t' -v relay="$RELAY_URL" '
        /^#/ {next}
        {locus = $1 ":" $2
         print NR "\t" locus "\t" $3 "\t" relay "/igv/goto?locus=" locus "&landing=1\thttp://127.0.0.1:60151/goto?locus=" locus "\t"}' \
        "$@" >/dev/null
}
# mawk_time FILE: seconds for mawk to print those columns of FILE (of
# `zcat FILE` when it ends in .gz).
mawk_time() {
    local start end
    start=$(date +%s.%N)
    if [[ $1 == *.gz ]]; then
        zcat "$1" | same_columns
    else
        same_columns "$1"
    fi
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}
# export_vs_mawk FILE MAWK_FIGURE RATIO_FIGURE: the links-only export of FILE
# (a plain `format=tsv` adds the record's own columns since issue 15, which
# mawk does not print) alternated with mawk; prints both figures.
export_vs_mawk() {
    local file=$1 mawk_figure=$2 ratio_figure=$3 i mawk_s export_s
    : >"$BENCH_WORK/mawk" && : >"$BENCH_WORK/export"
    for ((i = 0; i < MAWK_REPEAT; i++)); do
        check_budget
        mawk_time "$data/$file" >>"$BENCH_WORK/mawk"
        curl_time "$files/$file?format=tsv&links_only=1" >>"$BENCH_WORK/export"
    done
    mawk_s=$(median <"$BENCH_WORK/mawk")
    export_s=$(median <"$BENCH_WORK/export")
    log "export ($file) ${export_s}s ($(span <"$BENCH_WORK/export")); mawk printing the same columns ${mawk_s}s ($(span <"$BENCH_WORK/mawk"))"
    echo "$mawk_figure=$mawk_s"
    echo "$ratio_figure=$(ratio "$mawk_s" "$export_s" 3)"
}
export_vs_mawk large.vcf mawk_same_columns_vcf_s export_vs_mawk_vcf_speed_ratio
export_vs_mawk large.vcf.gz zcat_mawk_same_columns_vcf_gz_s export_vs_zcat_mawk_vcf_gz_speed_ratio

# The floor under any export: the export's own bytes (about twice the VCF's)
# served by the same server as a plain file (/raw/, no parsing at all). An
# export cannot beat this ratio against `wc -l`, whatever it computes.
cp "$BENCH_WORK/export.tsv" "$data/export-output.tsv"
: >"$BENCH_WORK/wc" && : >"$BENCH_WORK/raw"
for ((i = 0; i < EXPORT_REPEAT; i++)); do
    check_budget
    wc_time "$data/large.vcf" >>"$BENCH_WORK/wc"
    curl_time "$RELAY_URL/raw/$(basename "$data")/export-output.tsv" >>"$BENCH_WORK/raw"
done
rm -f "$data/export-output.tsv"
raw_s=$(median <"$BENCH_WORK/raw")
log "the export's output ($(stat -c %s "$BENCH_WORK/export.tsv") bytes) as a plain file: ${raw_s}s"
echo "raw_transfer_of_export_output_s=$raw_s"
echo "raw_transfer_of_export_output_vs_wc_vcf_ratio=$(ratio "$(median <"$BENCH_WORK/wc")" "$raw_s" 4)"

rss_kb=$(peak_rss_kb "$RELAY_PID")
echo "export_peak_rss_mb=$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k / 1024}')"
echo "export_peak_rss_target_64mb_met=$(awk -v k="$rss_kb" 'BEGIN {print (k <= 65536) ? "yes" : "no"}')"
