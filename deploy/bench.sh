#!/usr/bin/env bash
# Builds the benchmarks in a Release tree and runs them. Figures go to
# stdout; docs/PERFORMANCE.md records them with this command.
# Usage: ./deploy/bench.sh [store] [extra args...]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build/bench"
./deploy/install-deps.sh
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DCLUSTERD_TESTS=OFF \
      -DCLUSTERD_BENCH=ON >/dev/null
which="${1:-store}"
shift || true
case "$which" in
  store)
    cmake --build "$BUILD" -j "$(nproc)" --target bench_store
    "$BUILD/tests/bench/bench_store" "$@" ;;
  *)
    echo "bench.sh: unknown benchmark \"$which\" (known: store)" >&2
    exit 2 ;;
esac
