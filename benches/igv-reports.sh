#!/usr/bin/env bash
# igv-reports (PyPI) against igv-relay on the same 10^4-variant VCF:
#   - igv-reports' `create_report` (one self-contained HTML with a slice of the
#     reference around every variant) against our time to the first page, and
#     against our full TSV export;
#   - the size of what each produces.
# igv-reports gets a small generated FASTA + .fai matching the VCF's contigs, so it
# needs no network. Runs alternate; each figure is a median.
#
# The two tools do different work: igv-reports embeds sequence (and would embed
# reads) for every variant up front; igv-relay reads rows lazily and leaves the
# data to the user's IGV. The ratios say how long a user waits for each, not
# that they do the same thing.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RECORDS=${RECORDS:-10000}
REPEAT=${REPEAT:-3}

need_deb curl
if ! command -v create_report >/dev/null 2>&1; then
    log "installing igv-reports (PyPI)"
    python3 -m pip install --quiet igv-reports >&2
fi

data="$BENCH_WORK/data"
mkdir -p "$data"
gen=$(gen_vcf_binary)
"$gen" --records "$RECORDS" --out "$data/calls.vcf" --fasta "$BENCH_WORK/ref.fa"

start_relay "$data" "$BENCH_WORK/relay.log"
page_url="$RELAY_URL/files/data/calls.vcf"

report_time() {
    local start end
    start=$(date +%s.%N)
    create_report "$data/calls.vcf" --fasta "$BENCH_WORK/ref.fa" \
        --output "$BENCH_WORK/report.html" >"$BENCH_WORK/report.log" 2>&1 ||
        { cat "$BENCH_WORK/report.log" >&2; return 1; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}

curl_time "$page_url" >/dev/null
: >"$BENCH_WORK/report" && : >"$BENCH_WORK/page" && : >"$BENCH_WORK/export"
for ((i = 0; i < REPEAT; i++)); do
    check_budget
    report_time >>"$BENCH_WORK/report"
    curl_time "$page_url" "$BENCH_WORK/page.html" >>"$BENCH_WORK/page"
    curl_time "$page_url?format=tsv&links_only=1" "$BENCH_WORK/export.tsv" >>"$BENCH_WORK/export"
done

report_s=$(median <"$BENCH_WORK/report")
page_s=$(median <"$BENCH_WORK/page")
export_s=$(median <"$BENCH_WORK/export")
log "igv-reports ${report_s}s; igv-relay page 1 ${page_s}s, TSV export ${export_s}s"

rows=$(($(grep -vc '^#' "$BENCH_WORK/export.tsv") - 1))
if ((rows != RECORDS)); then
    echo "export has $rows rows, expected $RECORDS" >&2
    exit 1
fi

echo "igv_reports_s=$report_s"
echo "relay_first_page_s=$page_s"
echo "relay_export_s=$export_s"
echo "igv_reports_vs_relay_first_page_time_ratio=$(ratio "$report_s" "$page_s" 1)"
echo "igv_reports_vs_relay_export_time_ratio=$(ratio "$report_s" "$export_s" 1)"
echo "igv_reports_output_bytes=$(stat -c %s "$BENCH_WORK/report.html")"
echo "relay_first_page_bytes=$(stat -c %s "$BENCH_WORK/page.html")"
# Issue 15's page weight: igv-relay's first page against igv-reports' report
# of the same VCF (target <= 0.01).
echo "relay_page_vs_igv_reports_bytes_ratio=$(ratio "$(stat -c %s "$BENCH_WORK/page.html")" "$(stat -c %s "$BENCH_WORK/report.html")" 4)"
echo "relay_export_tsv_bytes=$(stat -c %s "$BENCH_WORK/export.tsv")"
