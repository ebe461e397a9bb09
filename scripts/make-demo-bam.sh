#!/usr/bin/env bash
# Regenerates demo/braf-reads.bam(.bai): 60 read pairs around BRAF V600E on
# hg38 chr7:140,753,336. The read sequences are random (seeded), so IGV shows
# mismatches everywhere: the file demonstrates loading an indexed BAM through
# the relay, not biology. Needs python3 and samtools (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/demo.sam" <<'PY'
import random, sys
random.seed(7)
lines = ["@HD\tVN:1.6\tSO:unsorted", "@SQ\tSN:chr7\tLN:159345973",
         "@RG\tID:demo\tSM:tumour", "@PG\tID:demo-gen\tPN:python\tVN:1"]
for i in range(60):
    pos = 140753336 - 250 + random.randint(0, 400)
    seq = "".join(random.choice("ACGT") for _ in range(100))
    mate = pos + random.randint(150, 300)
    tlen = mate + 100 - pos
    lines.append(f"read{i:03d}\t99\tchr7\t{pos}\t60\t100M\t=\t{mate}\t{tlen}\t{seq}\t{'I' * 100}\tRG:Z:demo")
    seq2 = "".join(random.choice("ACGT") for _ in range(100))
    lines.append(f"read{i:03d}\t147\tchr7\t{mate}\t60\t100M\t=\t{pos}\t{-tlen}\t{seq2}\t{'I' * 100}\tRG:Z:demo")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
samtools sort -o demo/braf-reads.bam "$tmp/demo.sam"
samtools index demo/braf-reads.bam
