#!/usr/bin/env bash
# Copies the browser test's screenshots of the demo's reports (one per
# section, made by report_demo_test.sh through puppeteer-core at a
# 1100-pixel viewport) into docs/img/, where README.md and docs/report.md
# show them. Run after `ctest -R client_report_demo` when the report's look
# changes on purpose.
# Usage: tests/client/report_docs_img.sh BUILD_DIR
set -euo pipefail
BUILD=${1:?usage: report_docs_img.sh BUILD_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SHOTS="$BUILD/tests/client/report-shots/demo"
mkdir -p "$SRC/docs/img"
# report section -> image
while read -r report section; do
  from="$SHOTS/$report/report-$section.png"
  [ -s "$from" ] || { echo "report_docs_img: $from is missing" >&2; exit 1; }
  to="$SRC/docs/img/report-${section%%-miit21-*}.png"
  cp "$from" "$to"
  echo "$to"
done <<'LIST'
national-2021 header
national-2021 funnel
national-2021 ranking
national-2021 uncertainty
national-2021-innovation-vs-demo change
national-2021 summary
national-2021 decisions
national-2021 coherence
national-2021-wuxi-iot cluster-miit21-wuxi-iot
LIST
