#!/usr/bin/env bash
# Regenerates the pairing fixtures (issue 26) from real public reads: samtools'
# example alignments, /usr/share/doc/samtools/examples/ex1.sam.gz and ex1.fa in
# the Debian samtools package (its 00README.txt: MAQ alignments of NA18507,
# 1000 Genomes pilot, to two 1.5 kb pieces of human build 36, 2:2043966-2045540
# and 20:67967-69550, named seq1 and seq2 there). The reads of seq1 are placed
# on chr1 of the end-to-end tests' tiny genome at the same positions (1-1575;
# crates/igv-relay/tests/http/support/igv.rs, TINY_GENOME: 50,000 bases), and
# the runs (the read-name prefix before the first ':', so mates stay
# together) are dealt to samples in turn. The variants are real: bcftools'
# calls on all of ex1's seq1 reads against ex1.fa, their genotype columns
# named after the samples.
#
#   crates/igv-relay/tests/fixtures/pairing/        calls.vcf (samples tumour,
#       normal), tumour.bam, normal.bam and other-patient.bam (read group SM
#       of each its name), each indexed: two to pair, one to leave out.
#   crates/igv-relay/tests/fixtures/pairing-trio/   trio.vcf (child, mother,
#       father), child.bam, mother.bam, father.bam.
#
# Needs samtools and bcftools (Debian packages; scripts/install-test-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=/usr/share/doc/samtools/examples
fixtures=crates/igv-relay/tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ex1's seq1 as chr1: the reads and the reference piece they align to.
samtools faidx "$examples/ex1.fa" seq1 | sed 's/^>seq1/>chr1/' > "$tmp/ref.fa"
samtools faidx "$tmp/ref.fa"
zcat "$examples/ex1.sam.gz" | awk -F'\t' -v OFS='\t' '$3 == "seq1" {
    $3 = "chr1"; if ($7 == "seq1") { $7 = "=" } else if ($7 != "=" && $7 != "*") { next }
    print }' > "$tmp/seq1.sam"

# cut DIR SAMPLE... : one BAM per sample, runs dealt in turn; "other-patient"
# gets every run (a patient of its own, read for read the same reads).
cut() {
  local dir=$1; shift
  local samples=("$@") n=$#
  mkdir -p "$dir"
  local i=0
  for sample in "${samples[@]}"; do
    {
      printf '@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:chr1\tLN:50000\n'
      printf '@RG\tID:%s\tSM:%s\tLB:ex1-%s\tPL:ILLUMINA\n' "$sample" "$sample" "$sample"
      awk -F'\t' -v OFS='\t' -v n="$n" -v i="$i" -v rg="$sample" '
        { split($1, run, ":"); if (!(run[1] in turn)) { turn[run[1]] = runs++ % n }
          if (rg == "other-patient" || turn[run[1]] == i) print $0, "RG:Z:" rg }' \
        <(sort -t$'\t' -k1,1 "$tmp/seq1.sam")
    } > "$tmp/$sample.sam"
    samtools sort --no-PG -o "$dir/$sample.bam" "$tmp/$sample.sam"
    samtools index "$dir/$sample.bam"
    i=$((i + 1))
  done
}

# calls VCF SAMPLE...: bcftools' calls on all the seq1 reads, one genotype
# column per sample (the pooled call's genotype).
calls() {
  local vcf=$1; shift
  printf '@SQ\tSN:chr1\tLN:50000\n' | cat - "$tmp/seq1.sam" | samtools sort --no-PG -o "$tmp/all.bam"
  samtools index "$tmp/all.bam"
  bcftools mpileup --no-version -f "$tmp/ref.fa" "$tmp/all.bam" 2>/dev/null |
    bcftools call --no-version -mv 2>/dev/null > "$tmp/pooled.vcf"
  local samples_tab
  samples_tab=$(IFS=$'\t'; echo "$*")
  {
    printf '##fileformat=VCFv4.2\n##contig=<ID=chr1,length=50000>\n'
    printf '##source=bcftools call -mv on samtools examples/ex1 seq1 (NA18507), reads placed on chr1\n'
    printf '##INFO=<ID=DP,Number=1,Type=Integer,Description="Raw read depth">\n'
    printf '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    printf '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t%s\n' "$samples_tab"
    grep -v '^#' "$tmp/pooled.vcf" | awk -F'\t' -v OFS='\t' -v n=$# '{
      split($10, g, ":"); dp = $8; sub(/.*DP=/, "", dp); sub(/;.*/, "", dp)
      line = $1 OFS $2 OFS "." OFS $4 OFS $5 OFS int($6) OFS "PASS" OFS "DP=" dp OFS "GT"
      for (k = 0; k < n; k++) line = line OFS g[1]
      print line }'
  } > "$vcf"
}

cut "$fixtures/pairing" tumour normal other-patient
calls "$fixtures/pairing/calls.vcf" tumour normal
cut "$fixtures/pairing-trio" child mother father
calls "$fixtures/pairing-trio/trio.vcf" child mother father
