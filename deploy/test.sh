#!/usr/bin/env bash
# Installs what is missing, builds with ASan + UBSan and runs every test.
# Usage: ./deploy/test.sh [ctest arguments...]   e.g. -R store
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="${CLUSTERD_TEST_BUILD:-$ROOT/build/asan}"

./deploy/install-deps.sh

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DCLUSTERD_SANITIZE=ON \
      -DCLUSTERD_TESTS=ON -DCLUSTERD_BENCH=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)"

# Valgrind cannot run sanitized binaries: a plain build runs the valgrind
# tests first (clusterd under memcheck, the quick store tests). Skipped when
# ctest arguments narrow the run.
if [ $# -eq 0 ]; then
  PLAIN="${CLUSTERD_PLAIN_BUILD:-$ROOT/build/plain}"
  cmake -S "$ROOT" -B "$PLAIN" -DCMAKE_BUILD_TYPE=Debug -DCLUSTERD_SANITIZE=OFF \
        -DCLUSTERD_TESTS=ON -DCLUSTERD_BENCH=OFF >/dev/null
  cmake --build "$PLAIN" -j "$(nproc)"
  (cd "$PLAIN" && ctest -V --output-on-failure -j "$(nproc)" --timeout 900 \
        -R valgrind)
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# Every test, sanitized. -V: each test's own closing lines (cmocka's PASSED
# counts) show what ran.
cd "$BUILD"
ctest -V --output-on-failure -j "$(nproc)" --timeout 600 "$@"
