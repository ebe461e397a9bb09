#!/usr/bin/env bash
# Reads pairing (issue 26): a VCF's page in a directory of 1,000 indexed BAMs
# (1,000 BAM + 1,000 BAI files, each BAM with its own read group sample; two
# name the VCF's samples) against the same VCF's page alone in a directory:
#   - first page: the page right after the directory changed (a new file in
#     it: a new directory version, so the 1,000 headers are read again) minus
#     the page alone (target <= 0.2 s), and as a ratio to it
#   - later pages: the page once the directory was seen, as a ratio to the
#     page alone (target: ~1, "nothing on later pages")
#
# Timings are medians of REPEAT runs, alternated. Prints one `name=value`
# line per figure. Needs samtools (the BAMs are cut from the pairing
# fixtures: scripts/make-pairing-bams.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

REPEAT=${REPEAT:-9}
FILES=${FILES:-1000}

need_deb curl
need_deb samtools

fixtures="$BENCH_ROOT/crates/igv-relay/tests/fixtures/pairing"
data="$BENCH_WORK/data"
mkdir -p "$data/many" "$data/alone"
cp "$fixtures/calls.vcf" "$data/many/calls.vcf"
cp "$fixtures/calls.vcf" "$data/alone/calls.vcf"
log "writing $FILES indexed BAMs"
samtools view -H "$fixtures/other-patient.bam" | grep -v '^@RG' > "$BENCH_WORK/header.sam"
for ((i = 0; i < FILES; i++)); do
    case $i in
        0) sample=tumour ;;
        1) sample=normal ;;
        *) sample=patient$i ;;
    esac
    { cat "$BENCH_WORK/header.sam"; printf '@RG\tID:other-patient\tSM:%s\n' "$sample"; } > "$BENCH_WORK/h.sam"
    samtools reheader --no-PG "$BENCH_WORK/h.sam" "$fixtures/other-patient.bam" > "$data/many/run$i.bam"
    cp "$fixtures/other-patient.bam.bai" "$data/many/run$i.bam.bai"
done

start_relay "$data" "$BENCH_WORK/relay.log"
many="$RELAY_URL/files/data/many/calls.vcf"
alone="$RELAY_URL/files/data/alone/calls.vcf"
# The page pairs exactly the two.
curl -s "$many" > "$BENCH_WORK/page.html"
paired=$(sed -n '/class="reads-loaded"/,/<\/ul>/p' "$BENCH_WORK/page.html" | grep -c '<li>' || true)
if [[ "$paired" != 2 ]]; then
    echo "expected 2 paired files, the page lists $paired" >&2
    exit 1
fi

first=$(mktemp "$BENCH_WORK/t.XXXXXX") base=$(mktemp "$BENCH_WORK/t.XXXXXX") later=$(mktemp "$BENCH_WORK/t.XXXXXX")
curl_time "$alone" >/dev/null
for ((i = 0; i < REPEAT; i++)); do
    # A new directory version: the next page reads every header again.
    : > "$data/many/round$i.txt"
    curl_time "$many" >>"$first"
    curl_time "$alone" >>"$base"
    curl_time "$many" >>"$later"
    check_budget
done
first_s=$(median <"$first")
base_s=$(median <"$base")
later_s=$(median <"$later")
log "first page $(span <"$first") s, alone $(span <"$base") s, later $(span <"$later") s"
echo "pairing_files=$FILES"
echo "page_alone_s=$base_s"
echo "first_page_s=$first_s"
echo "first_page_extra_s=$(awk -v a="$first_s" -v b="$base_s" 'BEGIN {printf "%.4f\n", a - b}')"
echo "first_page_vs_alone=$(ratio "$first_s" "$base_s")"
echo "later_page_vs_alone=$(ratio "$later_s" "$base_s")"
