#!/usr/bin/env bash
# Installs what is missing, builds and starts clusterd on an embedded LMDB
# data directory. With --demo it also loads the sample data, runs a sample
# competition, prints its results and stops the server.
#
# Usage: ./deploy/run.sh [--demo] [clusterd flags...]
#   Environment: CLUSTERD_LISTEN (default 127.0.0.1:50051),
#                CLUSTERD_DATA_DIR (default ./var/clusters), and the other
#                CLUSTERD_* variables of `clusterd --help`
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="$ROOT/build/release"

DEMO=0
ARGS=()
for a in "$@"; do
  case "$a" in
    --demo) DEMO=1 ;;
    *) ARGS+=("$a") ;;
  esac
done

./deploy/install-deps.sh
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCLUSTERD_TESTS=OFF -DCLUSTERD_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)"

export CLUSTERD_LISTEN="${CLUSTERD_LISTEN:-127.0.0.1:50051}"
export CLUSTERD_DATA_DIR="${CLUSTERD_DATA_DIR:-$ROOT/var/clusters}"
export CLUSTERD_PLUGIN_DIR="${CLUSTERD_PLUGIN_DIR:-$BUILD/plugins/lib}"

if [ ! -x "$BUILD/service/clusterd" ]; then
  echo "run.sh: the build produced no $BUILD/service/clusterd" >&2
  exit 1
fi

if [ "$DEMO" -eq 0 ]; then
  # clusterd reads CLUSTERD_* from the environment; flags given here win.
  # It prints "clusterd: listening on HOST:PORT" once it serves, and stops
  # gracefully on SIGTERM or Ctrl-C.
  exec "$BUILD/service/clusterd" ${ARGS[@]+"${ARGS[@]}"}
fi
exec "$ROOT/deploy/demo.sh" "$BUILD"
