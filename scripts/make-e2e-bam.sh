#!/usr/bin/env bash
# Regenerates crates/igv-relay/tests/fixtures/e2e/reads.bam(.bai): 40 read pairs around
# chr1:3,000 of the end-to-end tests' tiny genome (crates/igv-relay/tests/http/support/igv.rs,
# TINY_GENOME), for the view-command tests. Two read groups (two samples, two
# libraries), three mapping qualities, both strands and orientations, an HP
# tag with three values and varied insert sizes, so that every sort, group
# and colour option has something to act on. Needs python3 and samtools
# (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/reads.sam" <<'PY'
import random, sys
random.seed(5)
header = ["@HD\tVN:1.6\tSO:unsorted", "@SQ\tSN:chr1\tLN:50000", "@SQ\tSN:chr2\tLN:20000",
          "@SQ\tSN:chr3\tLN:10000", "@RG\tID:rgA\tSM:sampleA\tLB:libA",
          "@RG\tID:rgB\tSM:sampleB\tLB:libB", "@PG\tID:e2e-gen\tPN:python\tVN:1"]
records = []
for i in range(40):
    pos = 3000 - 90 + random.randint(0, 80)
    mate = pos + random.randint(100, 400)
    tlen = mate + 100 - pos
    rg = "rgA" if i % 2 else "rgB"
    mq = random.choice([10, 30, 60])
    hp = 1 + i % 3
    forward = i % 4 < 2
    flag1, flag2 = (99, 147) if forward else (163, 83)
    for flag, start, other, size in ((flag1, pos, mate, tlen), (flag2, mate, pos, -tlen)):
        seq = "".join(random.choice("ACGT") for _ in range(100))
        records.append(f"r{i:03d}\t{flag}\tchr1\t{start}\t{mq}\t100M\t=\t{other}\t{size}\t{seq}\t{'I' * 100}\tRG:Z:{rg}\tHP:i:{hp}")
open(sys.argv[1], "w").write("\n".join(header + records) + "\n")
PY
samtools sort --no-PG -o crates/igv-relay/tests/fixtures/e2e/reads.bam "$tmp/reads.sam"
samtools index crates/igv-relay/tests/fixtures/e2e/reads.bam
