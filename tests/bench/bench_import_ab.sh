#!/usr/bin/env bash
# ImportClusters A/B between two builds in one session, so that a change's
# cost is a ratio against the build before it on the same machine:
# alternately starts each build's clusterd on a fresh data directory and
# imports N clusters (10 indicators each) with its bench_import.
# Usage: bench_import_ab.sh BUILD_BEFORE BUILD_AFTER [N] [ROUNDS]
#   (build trees with service/clusterd and tests/bench/bench_import, e.g.
#   a Release build of an older commit in a git worktree, and build/bench)
set -euo pipefail
A=$1 B=$2 N=${3:-200000} ROUNDS=${4:-5}
one() {
  local build=$1 d pf pid
  d=$(mktemp -d /tmp/clusterd-ab-XXXXXX)
  pf="$d/port"
  "$build/service/clusterd" --listen 127.0.0.1:0 --port-file "$pf" \
    --data-dir "$d/data" --plugin-dir "" --threads 2 --log-level warn \
    2>/dev/null &
  pid=$!
  for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.1; done
  "$build/tests/bench/bench_import" "127.0.0.1:$(cat "$pf")" "$N" 1 |
    sed -n 's/.*= \([0-9]*\) \/s.*/\1/p'
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$d"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
ra=() rb=()
for r in $(seq "$ROUNDS"); do
  ra+=("$(one "$A")"); rb+=("$(one "$B")")
  echo "round $r: before ${ra[-1]} /s, after ${rb[-1]} /s"
done
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ma=$(med "${ra[@]}") mb=$(med "${rb[@]}")
echo "median: before $ma /s, after $mb /s, ratio $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.2f", b/a}')"
