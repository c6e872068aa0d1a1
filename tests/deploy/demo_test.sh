#!/usr/bin/env bash
# Runs deploy/demo.sh on BUILD_DIR with its data directory in the build
# tree and checks what it must show: the GII 2023 ranks reproduced, the
# national run as a job with per-round decisions in words (a quota, an
# industry leader, top_n, an exclusion), the sensitivity shares, an
# explanation and the comparison with the real 2021 result.
# Usage: demo_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
SRC=${1:?usage: demo_test.sh SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: demo_test.sh SOURCE_DIR BUILD_DIR}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
DEMO_DATA="$BUILD/demo-data" DEMO_REPORTS="$BUILD/demo-reports" bash "$SRC/deploy/demo.sh" "$BUILD" >"$OUT" 2>&1 || {
  cat "$OUT"; echo "demo_test: the demo failed" >&2; exit 1; }
fail=0
expect() { # PATTERN WHAT
  grep -Eq -- "$1" "$OUT" || { echo "demo_test: missing $2 (/$1/)" >&2; fail=1; }
}
expect "all 17 computed ranks match the published GII 2023 ranks" "the GII reproduction"
expect "is valid as a replacement of the stored one" "competition validate"
expect "started on the server; watching it" "the run as a job"
expect "passed over: max_per_region 8 reached, region \"[A-Za-z]+\" already has 8 selected" "a quota decision in round 1"
expect "selected as the leader of industry" "an industry-leader decision"
expect "outside top_n 40" "a top_n decision"
expect "REACHED %.*SELECTED %" "per-round sensitivity shares"
expect "^round final: 40 candidates -> 40 eligible -> 40 ranked -> 25 selected" "the final's funnel"
expect "^decision: PASSED_OVER_BY_QUOTA" "an explanation"
expect "RAW TO CLOSE GAP" "the gap per criterion"
expect "REAL 2021 WINNERS" "the comparison with the real result"
expect "^report of run gii-2023-.*gii-2023.html \\([0-9]+ bytes\\)" "the GII run's report"
expect "^report of run national-2021-demo-.*national-2021.html" "the national run's report"
expect "^report of run national-2021-demo-.*national-2021-wuxi-iot.html" "a cluster's report"
expect "^report of run national-2021-innovation-.*national-2021-innovation-vs-demo.html" "the what-if's report against the national run"
expect "^demo: done" "the end"
if grep -q "demo_report.py national\|prelim-def" "$OUT"; then
  echo "demo_test: the demo still computes the selection in Python" >&2; fail=1
fi
[ $fail = 0 ] || { cat "$OUT"; exit 1; }
echo "demo_test: the demo shows everything it must ($(wc -l <"$OUT") lines)"
