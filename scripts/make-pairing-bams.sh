#!/usr/bin/env bash
# Regenerates crates/igv-relay/tests/fixtures/pairing/: a tumour/normal VCF
# (samples tumour and normal, three variants on the end-to-end tests' tiny
# genome, chr1 of crates/igv-relay/tests/http/support/igv.rs) and three
# indexed BAMs beside it, cut from tests/fixtures/e2e/reads.bam (made by
# scripts/make-e2e-bam.sh): tumour.bam (its rgA reads, read group SM:tumour),
# normal.bam (its rgB reads, SM:normal) and other-patient.bam (all reads,
# SM:other-patient), so that pairing by read group has two files to find and
# one to leave out. Needs samtools (Debian package; scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
src=crates/igv-relay/tests/fixtures/e2e/reads.bam
out=crates/igv-relay/tests/fixtures/pairing
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cut() { # name read-group(or "") sample
  local name=$1 group=$2 sample=$3
  if [ -n "$group" ]; then
    samtools view --no-PG -b -r "$group" -o "$tmp/$name.in.bam" "$src"
  else
    cp "$src" "$tmp/$name.in.bam"
  fi
  samtools addreplacerg --no-PG -r "@RG\tID:$name\tSM:$sample\tLB:lib-$name" \
    -o "$tmp/$name.bam" "$tmp/$name.in.bam"
  samtools sort --no-PG -o "$out/$name.bam" "$tmp/$name.bam"
  samtools index "$out/$name.bam"
}
cut tumour rgA tumour
cut normal rgB normal
cut other-patient "" other-patient
printf '%s\n' \
  '##fileformat=VCFv4.2' \
  '##contig=<ID=chr1,length=50000>' \
  '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">' \
  $'#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ttumour\tnormal' \
  $'chr1\t2950\tsnv1\tA\tG\t50\tPASS\t.\tGT\t0/1\t0/0' \
  $'chr1\t3000\tsnv2\tC\tT\t60\tPASS\t.\tGT\t0/1\t0/0' \
  $'chr1\t3100\tsnv3\tG\tA\t40\tPASS\t.\tGT\t0/1\t0/1' > "$out/calls.vcf"
