#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for a bounded time each, starting
# from its seed corpus (tests/fuzz/corpus/<target>/, read only: new inputs
# go to a temporary directory). A crash, leak or timeout fails the run and
# leaves the reproducer in the temporary directory, whose path is printed.
# Usage: run_fuzz.sh BUILD_DIR [SECONDS_PER_TARGET]
set -euo pipefail
BUILD=$1
SECS=${2:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/clusterd-fuzz-XXXXXX)
failed=0
for t in rec_diff json_input csv_input page_token refl_answer; do
  exe="$BUILD/tests/fuzz/fuzz_$t"
  mkdir -p "$WORK/$t/new" "$WORK/$t/artifacts"
  echo "fuzz: $t for ${SECS}s"
  if "$exe" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$WORK/$t/artifacts/" \
        "$WORK/$t/new" "$HERE/corpus/$t" >"$WORK/$t/log" 2>&1; then
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$WORK/$t/log" | tail -2
  else
    echo "fuzz: $t FAILED; reproducer and log in $WORK/$t" >&2
    tail -40 "$WORK/$t/log" >&2
    failed=1
  fi
done
if [ "$failed" -eq 0 ]; then
  rm -rf "$WORK"
  echo "fuzz: 5 passed, 0 failed"
else
  exit 1
fi
