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

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd "$BUILD"
# -V: each test's own closing lines (cmocka's PASSED counts) show what ran.
ctest -V --output-on-failure -j "$(nproc)" --timeout 600 "$@"
