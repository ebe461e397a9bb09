#!/usr/bin/env bash
# Triage pages (issue 15) on a 10^6-record VCF annotated like VEP's output
# (a CSQ of three transcripts per record; 2% HIGH, 20% MODERATE):
#   - a filtered first page (`where=Impact=HIGH`) vs the unfiltered first page,
#     both once the file was seen (target <= 3)
#   - the totals + overview pass (from the first request until the page shows
#     the exact total) vs the links-only TSV export of the same file
#     (target <= 1.5)
#   - the server's peak RSS over all of it (target <= 64 MB)
#
# Timings are medians of REPEAT runs (unfiltered and filtered alternate).
# Prints one `name=value` line per figure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPEAT=${REPEAT:-7}
EXPORT_REPEAT=${EXPORT_REPEAT:-3}
LARGE=${LARGE:-1000000}

need_deb curl

data="$BENCH_WORK/triage"
mkdir -p "$data"
gen=$(gen_vcf_binary)
log "generating a $LARGE-record VCF with VEP CSQ annotations"
"$gen" --records "$LARGE" --out "$BENCH_WORK/plain.vcf"
# The CSQ header and one annotation (three transcripts) per record; the
# consequence depends on the record number, so the counts are known.
awk -v OFS='\t' '
    /^#CHROM/ {
        print "##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature|HGVSc|HGVSp\">"
        print; next
    }
    /^#/ { print; next }
    {
        n++
        if (n % 50 == 0) { c = "stop_gained"; i = "HIGH" }
        else if (n % 5 == 0) { c = "missense_variant"; i = "MODERATE" }
        else { c = "intron_variant"; i = "MODIFIER" }
        gene = "GENE" (n % 997)
        csq = "A|" c "|" i "|" gene "|ENSG" n "|ENST" n "|ENST" n ":c." n "A>T|ENSP" n ":p.Val" (n % 900) "Glu"
        csq = csq ",A|downstream_gene_variant|MODIFIER|" gene "|ENSG" n "|ENST" n "b||"
        csq = csq ",A|intron_variant|MODIFIER|" gene "|ENSG" n "|ENST" n "c||"
        $8 = ($8 == "." ? "" : $8 ";") "CSQ=" csq
        print
    }' "$BENCH_WORK/plain.vcf" >"$data/annotated.vcf"
rm -f "$BENCH_WORK/plain.vcf"
high=$(grep -c 'stop_gained' "$data/annotated.vcf" || true)
log "$high HIGH-impact records"

start_relay "$data" "$BENCH_WORK/relay.log"
page="$RELAY_URL/files/triage/annotated.vcf"
check_budget

# The totals and overview pass, from a first visit until the page knows.
# (The page goes to a file first: `curl | grep -q` under pipefail fails when
# grep stops reading early.)
started=$(date +%s.%N)
curl -s -o /dev/null "$page"
until curl -s -o "$BENCH_WORK/p.html" "$page" && grep -q "records 1–100 of <strong>" "$BENCH_WORK/p.html" &&
    grep -q "<svg" "$BENCH_WORK/p.html"; do
    sleep 0.05
    check_budget 600
done
pass_s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.3f", b - a}')
total=$(grep -o 'of <strong>[0-9,]*</strong>' "$BENCH_WORK/p.html" | head -1 | tr -dc 0-9)
if [[ "$total" != "$LARGE" ]]; then
    echo "the page's total is $total, expected $LARGE" >&2
    exit 1
fi
: >"$BENCH_WORK/export"
for ((i = 0; i < EXPORT_REPEAT; i++)); do
    curl_time "$page?format=tsv&links_only=1" >>"$BENCH_WORK/export"
done
export_s=$(median <"$BENCH_WORK/export")
log "totals + overview pass ${pass_s}s; links-only TSV export ${export_s}s"
echo "totals_overview_pass_s=$pass_s"
echo "tsv_export_s=$export_s"
echo "totals_overview_vs_tsv_export_ratio=$(ratio "$pass_s" "$export_s")"
check_budget

# First pages, unfiltered and filtered, alternated after one visit each.
filtered="$page?where=Impact%3DHIGH"
read -r plain_s filtered_s < <(alternated_medians "$page" "$filtered")
curl -s -o "$BENCH_WORK/filtered.html" "$filtered"
rows=$(grep -c 'class="igv-link"' "$BENCH_WORK/filtered.html" || true)
if [[ "$rows" != 100 ]]; then
    echo "the filtered first page has $rows rows, expected 100" >&2
    exit 1
fi
log "first page: unfiltered ${plain_s}s, Impact=HIGH ${filtered_s}s"
echo "first_page_unfiltered_ms=$(awk -v s="$plain_s" 'BEGIN {printf "%.1f", s * 1000}')"
echo "first_page_filtered_ms=$(awk -v s="$filtered_s" 'BEGIN {printf "%.1f", s * 1000}')"
echo "filtered_vs_unfiltered_first_page_ratio=$(ratio "$filtered_s" "$plain_s")"

# The same for a numeric condition of about the same selectivity (DP<12: about
# 2% of the generator's records), which the pre-check reads from the raw INFO
# column rather than finding as text.
numeric="$page?where=DP%3C12"
read -r plain_s numeric_s < <(alternated_medians "$page" "$numeric")
log "first page: unfiltered ${plain_s}s, DP<12 ${numeric_s}s"
echo "first_page_numeric_filter_ms=$(awk -v s="$numeric_s" 'BEGIN {printf "%.1f", s * 1000}')"
echo "numeric_filtered_vs_unfiltered_first_page_ratio=$(ratio "$numeric_s" "$plain_s")"
echo "peak_rss_mb=$(awk -v k="$(peak_rss_kb "$RELAY_PID")" 'BEGIN {printf "%.1f", k / 1024}')"
check_budget 600
