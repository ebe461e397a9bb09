#!/usr/bin/env bash
# Sorted triage pages (issue 24) on a 300,000-record VCF annotated like VEP's
# output (the CSQ of benches/triage.sh: three transcripts per record):
#   - the first page of a sorted view (the sort pass: every record's key,
#     then the page), for three sorts never asked for before, vs the
#     unsorted first page (baseline, alternated)
#   - pages 2-5 of the same sorted view, each once, after page 1: the order
#     is remembered (view::SortOrders) and the rows are read from the page
#     index the sort pass filled (target <= 0.2 s each)
#   - the same for a filtered sorted view (where=Impact=MODERATE), whose
#     rows are parsed while skipping
#
# Prints one `name=value` line per figure.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPEAT=${REPEAT:-5}
LARGE=${LARGE:-300000}

need_deb curl

data="$BENCH_WORK/sort"
mkdir -p "$data"
gen=$(gen_vcf_binary)
log "generating a $LARGE-record VCF with VEP CSQ annotations"
"$gen" --records "$LARGE" --out "$BENCH_WORK/plain.vcf"
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
log "$(du -m "$data/annotated.vcf" | cut -f1) MB"

start_relay "$data" "$BENCH_WORK/relay.log"
page="$RELAY_URL/files/sort/annotated.vcf"
# The unsorted first page, once the file was seen: the baseline.
curl -s -o /dev/null "$page"
: >"$BENCH_WORK/plain"
for ((i = 0; i < REPEAT; i++)); do
    curl_time "$page" >>"$BENCH_WORK/plain"
done
plain_s=$(median <"$BENCH_WORK/plain")
log "unsorted first page: $(span <"$BENCH_WORK/plain") s"
echo "unsorted_first_page_ms=$(awk -v s="$plain_s" 'BEGIN {printf "%.1f", s * 1000}')"
check_budget

# sorted_view NAME QUERY: the first page (the sort pass) and pages 2-5.
sorted_view() {
    local name=$1 query=$2 first later p rows
    first=$(curl_time "$page?$query" "$BENCH_WORK/$name-1.html")
    rows=$(grep -c 'class="igv-link"' "$BENCH_WORK/$name-1.html" || true)
    if [[ "$rows" != 100 ]]; then
        echo "$name: the first sorted page has $rows rows, expected 100" >&2
        exit 1
    fi
    : >"$BENCH_WORK/$name-later"
    for p in 2 3 4 5; do
        curl_time "$page?$query&page=$p" "$BENCH_WORK/$name-$p.html" >>"$BENCH_WORK/$name-later"
        if ! grep -q "records $(((p - 1) * 100 + 1))–$((p * 100)) of" "$BENCH_WORK/$name-$p.html"; then
            echo "$name: page $p is not records $(((p - 1) * 100 + 1))-$((p * 100))" >&2
            exit 1
        fi
    done
    later=$(median <"$BENCH_WORK/$name-later")
    max=$(sort -g "$BENCH_WORK/$name-later" | tail -1)
    log "$name: first sorted page ${first}s; pages 2-5 $(span <"$BENCH_WORK/$name-later") s"
    echo "${name}_first_page_ms=$(awk -v s="$first" 'BEGIN {printf "%.1f", s * 1000}')"
    echo "${name}_pages_2_to_5_median_ms=$(awk -v s="$later" 'BEGIN {printf "%.1f", s * 1000}')"
    echo "${name}_pages_2_to_5_max_ms=$(awk -v s="$max" 'BEGIN {printf "%.1f", s * 1000}')"
    echo "${name}_first_page_vs_unsorted_ratio=$(ratio "$first" "$plain_s" 1)"
    echo "${name}_later_page_vs_unsorted_ratio=$(ratio "$later" "$plain_s" 2)"
    check_budget 600
}

sorted_view qual_desc "sort=-QUAL"
sorted_view pos_desc "sort=-POS"
sorted_view gene "sort=Gene"
sorted_view moderate_qual "where=Impact%3DMODERATE&sort=-QUAL"
echo "peak_rss_mb=$(awk -v k="$(peak_rss_kb "$RELAY_PID")" 'BEGIN {printf "%.1f", k / 1024}')"
