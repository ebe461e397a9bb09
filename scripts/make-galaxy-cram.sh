#!/usr/bin/env bash
# Regenerates crates/igv-relay/tests/fixtures/pairing-cram/tumour.cram (and its
# .crai): the pairing fixture tumour.bam (scripts/make-pairing-bams.sh; real
# reads of NA18507 from samtools' examples, on chr1 of the tiny genome)
# written as CRAM 3 against the piece of human build 36 its reads align to
# (ex1.fa's seq1 as chr1, from the Debian samtools package). Used by
# tests/http/galaxy_reads.rs (a CRAM dataset's page in a real Galaxy).
#
# Needs samtools (scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=/usr/share/doc/samtools/examples
fixtures=crates/igv-relay/tests/fixtures
out=$fixtures/pairing-cram
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
samtools faidx "$examples/ex1.fa" seq1 | sed 's/^>seq1/>chr1/' > "$tmp/ref.fa"
samtools faidx "$tmp/ref.fa"
samtools view --no-PG -C -T "$tmp/ref.fa" -o "$tmp/tumour.cram" "$fixtures/pairing/tumour.bam"
# The header names the reference by its MD5 only, not by a path of this machine.
samtools view -H --no-PG "$tmp/tumour.cram" | sed 's/\tUR:[^\t]*//' > "$tmp/header.sam"
samtools reheader --no-PG -i "$tmp/header.sam" "$tmp/tumour.cram"
cp "$tmp/tumour.cram" "$out/tumour.cram"
samtools index "$out/tumour.cram"
