#!/usr/bin/env bash
# RunCompetition A/B between two builds in one session: both builds'
# clusterd loaded with the same N synthetic clusters (bench_competition
# load), the benchmark competition of bench_competition.sh created on each,
# one warm-up run each, then ROUNDS runs alternating; the top 100 must
# agree. Besides the wall time of each run, the CPU time clusterd spent on
# it (user + system, from /proc/PID/stat), which a shared machine's load
# disturbs less. Usage: bench_competition_ab.sh BUILD_BEFORE BUILD_AFTER
# [N] [ROUNDS]
# (build trees with service/clusterd, client/clusterctl, plugins/lib and
# tests/bench/bench_competition).
set -euo pipefail
A=$1 B=$2 N=${3:-100000} ROUNDS=${4:-5}
TMP=$(mktemp -d /tmp/clusterd-ab-XXXXXX)
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
start() { # BUILD NAME: starts that build's clusterd, prints its address
  local d="$TMP/$2"
  mkdir -p "$d"
  "$1/service/clusterd" --listen 127.0.0.1:0 --port-file "$d/port" \
    --data-dir "$d/data" --plugin-dir "$1/plugins/lib" --threads 2 \
    --log-level warn >/dev/null 2>&1 &
  # The caller runs start in a command substitution (a subshell): the pid
  # goes through a file, for the caller's PIDS and the trap.
  echo $! >"$d/pid"
  for _ in $(seq 100); do [ -s "$d/port" ] && break; sleep 0.1; done
  echo "127.0.0.1:$(cat "$d/port")"
}
competition() { # FILE PREFIX: enum names with or without their prefix
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
crit = []
for i, (n, w) in enumerate([("revenue_cny", 30), ("rd_investment_cny", 25),
                            ("employment", 20), ("firms", 15),
                            ("innovation_centres", 10)]):
    crit.append({"id": "c%d_%s" % (i + 1, n), "plugin": "indicator",
                 "weight": float(w), "normalization": sys.argv[2] + "MIN_MAX",
                 "params": {"indicator": n, "year": "2021"}})
json.dump({"id": "bench", "title": "benchmark", "rounds": [
    {"name": "ranking", "criteria": crit, "selection": {"topN": 100}}]},
    open(sys.argv[1], "w"))
PY
}
setup() { # BUILD NAME ADDR
  "$1/tests/bench/bench_competition" load "$3" 0 "$N" >/dev/null
  competition "$TMP/$2/c.json" "NORMALIZATION_"
  # Builds before the enum values took their prefix want "MIN_MAX".
  if ! "$1/client/clusterctl" --server "$3" competition create \
       "$TMP/$2/c.json" >/dev/null 2>&1; then
    competition "$TMP/$2/c.json" ""
    "$1/client/clusterctl" --server "$3" competition create "$TMP/$2/c.json" >/dev/null
  fi
  "$1/tests/bench/bench_competition" run "$3" bench "$TMP/$2/top" >/dev/null
}
cpu() { # PID: clusterd's user + system CPU seconds so far
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}
timed() { # BUILD ADDR NAME PID: one run; prints "wall cpu"
  local c0 w c1
  c0=$(cpu "$4")
  w=$("$1/tests/bench/bench_competition" run "$2" bench "$TMP/$3/top" | awk '{print $2}')
  c1=$(cpu "$4")
  echo "$w $(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", b - a}')"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
AA=$(start "$A" a); PA=$(cat "$TMP/a/pid"); PIDS+=("$PA")
AB=$(start "$B" b); PB=$(cat "$TMP/b/pid"); PIDS+=("$PB")
setup "$A" a "$AA"; setup "$B" b "$AB"
ra=() rb=() ca=() cb=()
for r in $(seq "$ROUNDS"); do
  read -r w c <<<"$(timed "$A" "$AA" a "$PA")"; ra+=("$w"); ca+=("$c")
  read -r w c <<<"$(timed "$B" "$AB" b "$PB")"; rb+=("$w"); cb+=("$c")
  echo "round $r: before ${ra[-1]} s (clusterd CPU ${ca[-1]} s), after ${rb[-1]} s (CPU ${cb[-1]} s); load $(cut -d' ' -f1 /proc/loadavg)"
done
cmp -s <(cut -f1 "$TMP/a/top") <(cut -f1 "$TMP/b/top") ||
  { echo "the two builds' top 100 differ" >&2; exit 1; }
med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ma=$(med "${ra[@]}") mb=$(med "${rb[@]}")
echo "median: before $ma s, after $mb s, ratio $(awk -v a="$ma" -v b="$mb" 'BEGIN {printf "%.2f", b/a}'); same top 100"
xa=$(med "${ca[@]}") xb=$(med "${cb[@]}")
echo "median clusterd CPU: before $xa s, after $xb s, ratio $(awk -v a="$xa" -v b="$xb" 'BEGIN {printf "%.3f", b/a}')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
