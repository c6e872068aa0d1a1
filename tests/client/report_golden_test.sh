#!/usr/bin/env bash
# The report's golden-structure test on the synthetic sample run
# (report_sample.py): the full report and the clusters-only one, each
# rendered by rpt_sample and compared with its file in golden/.
# Usage: report_golden_test.sh SOURCE_DIR RPT_SAMPLE [--update]
set -euo pipefail
SRC=${1:?usage: report_golden_test.sh SOURCE_DIR RPT_SAMPLE [--update]}
BIN=${2:?usage: report_golden_test.sh SOURCE_DIR RPT_SAMPLE [--update]}
UPDATE=${3:-}
HERE="$SRC/tests/client"
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$PY" "$HERE/report_sample.py" "$TMP/sample.json"
"$BIN" "$TMP/sample.json" "$TMP/full.html"
"$BIN" "$TMP/sample.json" "$TMP/clusters.html" --clusters
# The same data gives the same bytes.
"$BIN" "$TMP/sample.json" "$TMP/again.html"
cmp -s "$TMP/full.html" "$TMP/again.html" ||
  { echo "report_golden_test: two renders of the same data differ" >&2; exit 1; }
"$PY" "$HERE/report_golden.py" "$TMP/full.html" "$HERE/golden/report_sample.json" $UPDATE
"$PY" "$HERE/report_golden.py" "$TMP/clusters.html" "$HERE/golden/report_sample_clusters.json" $UPDATE
