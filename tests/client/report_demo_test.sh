#!/usr/bin/env bash
# The reports the demo wrote (deploy/demo.sh, run by the deploy_demo test
# into BUILD_DIR/demo-reports), each checked in Debian's chromium twice:
# through puppeteer-core (no request but the page itself, no console
# message, the expected elements, one screenshot per section, the PDF's
# page count) and through chromium's command line (--dump-dom, the
# screenshot, --print-to-pdf); then the national report's structure
# against its golden file.
# Usage: report_demo_test.sh SOURCE_DIR BUILD_DIR [--update-golden]
set -euo pipefail
SRC=${1:?usage: report_demo_test.sh SOURCE_DIR BUILD_DIR}
BUILD=${2:?usage: report_demo_test.sh SOURCE_DIR BUILD_DIR}
UPDATE=${3:-}
HERE="$SRC/tests/client"
REPORTS="$BUILD/demo-reports"
SHOTS="$BUILD/tests/client/report-shots/demo"
PY=/usr/bin/python3
NODE=${NODE:-node}
export CLUSTERD_NODE_TOOLS="$SRC/deploy/tools"

# report, expectations, PDF pages min,max
CASES=(
  "gii-2023 gii-2023 5,11"
  "national-2021 national-2021 18,30"
  "national-2021-wuxi-iot wuxi-iot 3,7"
  "national-2021-innovation-vs-demo innovation-vs-demo 17,29"
)
fail=0
for c in "${CASES[@]}"; do
  read -r name expect pages <<<"$c"
  html="$REPORTS/$name.html"
  if [ ! -s "$html" ]; then
    echo "report_demo_test: $html is missing: run the deploy_demo test first" >&2
    exit 1
  fi
  ex="$HERE/report_demo/$expect.expect.json"
  mkdir -p "$SHOTS/$name"
  if "$NODE" "$HERE/report_browser.mjs" "$html" "$ex" --shots "$SHOTS/$name" \
       --pdf-pages "$pages" >"$SHOTS/$name/browser.json"; then
    echo "report_demo_test: $name: browser ok ($(grep -o '"pdf_pages": [0-9]*' "$SHOTS/$name/browser.json"))"
  else
    cat "$SHOTS/$name/browser.json"; fail=1
  fi
  if "$PY" "$HERE/report_chromium.py" "$html" "$ex" --shots "$SHOTS/$name/cli" \
       --pdf-pages "$pages" >"$SHOTS/$name/chromium.json"; then
    echo "report_demo_test: $name: chromium command line ok"
  else
    cat "$SHOTS/$name/chromium.json"; fail=1
  fi
done
"$PY" "$HERE/report_golden.py" "$REPORTS/national-2021.html" \
  "$HERE/golden/demo_national.json" $UPDATE || fail=1
[ $fail = 0 ] || { echo "report_demo_test: failed" >&2; exit 1; }
echo "report_demo_test: the demo's 4 reports pass; screenshots in $SHOTS"
