#!/usr/bin/env bash
# bench_competition.sh — the competition benchmarks in one run, on loopback
# only, against baselines measured in the same run:
#   1. RunCompetition (one round, 5 criteria: the `indicator` plugin on five
#      indicators, MIN_MAX, weighted sum, top 100) over SMALL and then LARGE
#      clusters, against the floor of a raw LMDB cursor scan of the same
#      database reading every value byte (bench_scan); peak resident memory
#      of clusterd (VmHWM) after the runs;
#   2. cost growth from SMALL to LARGE clusters;
#   3. every standing of the last LARGE run read back through ListStandings
#      with the C client (bench_competition standings), counted and checked
#      against the run's candidates, ROUNDS times;
#   4. the same ranking computed by pandas (bench_pandas_rank.py) from a CSV
#      export (`clusterctl cluster export --csv`), timed end to end (export +
#      interpreter + pandas), and checked to give the same top 100.
# The clusters are synthetic (bench_competition load). clusterd listens on a
# kernel-picked loopback port with a temporary data directory; it is
# restarted after each load so that its VmHWM covers the runs, not the
# import. Everything started here is stopped, and the directory removed, on
# exit.
#
# Usage: tests/bench/bench_competition.sh BUILD_DIR
# Environment: SMALL (100000), LARGE (1000000), ROUNDS (3), THREADS (cores).
set -euo pipefail
BUILD=${1:?usage: bench_competition.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SMALL=${SMALL:-100000}
LARGE=${LARGE:-1000000}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-$(nproc)}
PY=/usr/bin/python3
CLUSTERD="$BUILD/service/clusterd"
CTL="$BUILD/client/clusterctl"
SCAN="$BUILD/tests/bench/bench_scan"
COMP="$BUILD/tests/bench/bench_competition"
PLUGINS="$BUILD/plugins/lib"
for b in "$CLUSTERD" "$CTL" "$SCAN" "$COMP"; do
  [ -x "$b" ] || { echo "bench_competition: $b is not built" >&2; exit 1; }
done
[ -e "$PLUGINS/indicator.so" ] || { echo "bench_competition: no plugins in $PLUGINS" >&2; exit 1; }
"$PY" -c 'import pandas' 2>/dev/null || { echo "bench_competition: python3-pandas missing" >&2; exit 1; }
[ "$LARGE" -gt "$SMALL" ] || { echo "bench_competition: LARGE must exceed SMALL" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench-comp.XXXXXX")
DATA="$TMP/data"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

ADDR=""
start_server() {
  rm -f "$TMP/port"
  "$CLUSTERD" --listen 127.0.0.1:0 --port-file "$TMP/port" --data-dir "$DATA" \
    --plugin-dir "$PLUGINS" --threads "$THREADS" --log-level warn \
    2>>"$TMP/clusterd.log" &
  PID=$!
  for _ in $(seq 400); do
    [ -s "$TMP/port" ] && { ADDR="127.0.0.1:$(tr -d '\n' <"$TMP/port")"; return 0; }
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench_competition: clusterd did not start:" >&2
  cat "$TMP/clusterd.log" >&2
  exit 1
}
stop_server() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=""
  [ "$rc" = 0 ] || { echo "bench_competition: clusterd exited with $rc:" >&2; tail -20 "$TMP/clusterd.log" >&2; exit 1; }
}
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) printf "%.4f\n", v[(NR+1)/2]; else printf "%.4f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
# mem_sampler PID OUT: every 10 ms, the largest RssAnon and RssFile (kB) of
# PID so far; writes "anon file" to OUT when stopped (SIGTERM).
mem_sampler() {
  "$PY" - "$1" "$2" <<'PY' &
import signal, sys, time
pid, out = sys.argv[1], sys.argv[2]
peak = {"RssAnon:": 0, "RssFile:": 0}
def stop(*_):
    open(out, "w").write("%d %d\n" % (peak["RssAnon:"], peak["RssFile:"]))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    try:
        for line in open("/proc/%s/status" % pid):
            k = line.split(None, 1)[0]
            if k in peak:
                peak[k] = max(peak[k], int(line.split()[1]))
    except OSError:
        stop()
    time.sleep(0.01)
PY
  SAMPLER=$!
}
# map_rss PID: resident kB of the LMDB data file's mapping.
map_rss() { awk '/data\.mdb/ {m = 1; next} /^[0-9a-f]+-[0-9a-f]+ / {m = 0} m && $1 == "Rss:" {s += $2} END {print s + 0}' "/proc/$1/smaps"; }
calc() { awk "BEGIN { printf \"%.4f\", $* }"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# The benchmark competition: five criteria, weights 30/25/20/15/10.
CRITERIA=("revenue_cny@2021:30" "rd_investment_cny@2021:25" "employment@2021:20"
          "firms@2021:15" "innovation_centres@2021:10")
"$PY" - "$TMP/competition.json" "${CRITERIA[@]}" <<'PY'
import json, sys
crit = []
for i, a in enumerate(sys.argv[2:]):
    col, w = a.rsplit(":", 1)
    name, year = col.split("@")
    crit.append({"id": "c%d_%s" % (i + 1, name), "plugin": "indicator",
                 "weight": float(w), "normalization": "NORMALIZATION_MIN_MAX",
                 "params": {"indicator": name, "year": year}})
json.dump({"id": "bench", "title": "benchmark: 5 criteria, min-max, weighted sum, top 100",
           "rounds": [{"name": "ranking", "criteria": crit,
                       "selection": {"topN": 100}}]},
          open(sys.argv[1], "w"))
PY

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads $THREADS"
echo "RunCompetition: one round, 5 criteria (indicator plugin, NORMALIZATION_MIN_MAX), weighted sum, top 100"
echo "rounds: $ROUNDS per size, after one untimed warm-up run; scan and run alternate which goes first"

declare -A STAND RUN SCANT FIRST HWM ANON FILE MAP PANON PFILE EXPORT PANDAS E2E
phase() { # N: measure the registry as it is (N clusters)
  local n=$1
  start_server
  if [ "$n" = "$SMALL" ]; then "$CTL" --server "$ADDR" competition create "$TMP/competition.json" >/dev/null; fi
  local t
  # The warm-up run is untimed for the comparison; a sampler records its
  # peak anonymous and file-backed resident memory.
  mem_sampler "$PID" "$TMP/peak"
  t=$(timeout 600 "$COMP" run "$ADDR" bench "$TMP/top.clusterd" | awk '{print $2}')
  kill -TERM "$SAMPLER"; wait "$SAMPLER" || true
  read -r PANON[$n] PFILE[$n] <"$TMP/peak"
  FIRST[$n]=$t
  echo "  $n clusters, warm-up run (first after start): $t s; sampled peaks RssAnon ${PANON[$n]} kB, RssFile ${PFILE[$n]} kB"
  : >"$TMP/run.$n"; : >"$TMP/scan.$n"
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then order="run scan"; else order="scan run"; fi
    for what in $order; do
      if [ "$what" = run ]; then
        out=$(timeout 600 "$COMP" run "$ADDR" bench "$TMP/top.clusterd")
        runout=$out
        echo "  round $r: $out"
        echo "$out" | awk '{print $2}' >>"$TMP/run.$n"
      else
        out=$(timeout 600 "$SCAN" "$DATA" 1 | head -1)
        echo "  round $r: $out"
        echo "$out" | awk '{print $(NF-1)}' >>"$TMP/scan.$n"
        echo "$out" | grep -q ": $n records," || { echo "bench_competition: the scan did not see $n records" >&2; exit 1; }
      fi
    done
  done
  HWM[$n]=$(status_kb "$PID" VmHWM); ANON[$n]=$(status_kb "$PID" RssAnon); FILE[$n]=$(status_kb "$PID" RssFile)
  # Every standing of the last run, read back in full (after VmHWM: the
  # reads are not what the memory target is about).
  local rid
  rid=$(echo "$runout" | awk '{print $NF}')
  : >"$TMP/st.$n"
  for r in $(seq "$ROUNDS"); do
    so=$(timeout 600 "$COMP" standings "$ADDR" "$rid") || { echo "$so" >&2; exit 1; }
    echo "  standings round $r: $so"
    echo "$so" | awk '{print $2}' >>"$TMP/st.$n"
  done
  STAND[$n]=$(median <"$TMP/st.$n")
  MAP[$n]=$(map_rss "$PID")
  echo "  clusterd after the runs: VmHWM ${HWM[$n]} kB; now RssAnon ${ANON[$n]} kB, RssFile ${FILE[$n]} kB of which the LMDB map ${MAP[$n]} kB"
  RUN[$n]=$(median <"$TMP/run.$n"); SCANT[$n]=$(median <"$TMP/scan.$n")
  # pandas, end to end: export to CSV, then the script (interpreter start,
  # import, read, rank); the same top 100 as clusterd's, or the run fails.
  # The wide layout (one column per indicator and year) is what a pandas
  # user reads; --lossy because it cannot keep the records' order of
  # indicators, which the ranking does not need.
  : >"$TMP/exp.$n"; : >"$TMP/pd.$n"; : >"$TMP/e2e.$n"
  for r in $(seq "$ROUNDS"); do
    local t0 t1 t2
    t0=$(date +%s.%N)
    timeout 600 "$CTL" --server "$ADDR" --timeout 600 cluster export --csv --layout wide --lossy >"$TMP/export.csv"
    t1=$(date +%s.%N)
    out=$(timeout 600 "$PY" "$HERE/bench_pandas_rank.py" "$TMP/export.csv" "$TMP/top.pandas" 100 "${CRITERIA[@]}" 2>&1) || { echo "$out" >&2; exit 1; }
    t2=$(date +%s.%N)
    echo "  pandas round $r: export $(calc "$t1 - $t0") s ($(stat -c %s "$TMP/export.csv") bytes), script $(calc "$t2 - $t1") s: $out"
    calc "$t1 - $t0" >>"$TMP/exp.$n"; echo >>"$TMP/exp.$n"; calc "$t2 - $t1" >>"$TMP/pd.$n"; echo >>"$TMP/pd.$n"; calc "$t2 - $t0" >>"$TMP/e2e.$n"; echo >>"$TMP/e2e.$n"
  done
  EXPORT[$n]=$(median <"$TMP/exp.$n"); PANDAS[$n]=$(median <"$TMP/pd.$n"); E2E[$n]=$(median <"$TMP/e2e.$n")
  "$PY" - "$TMP/top.clusterd" "$TMP/top.pandas" <<'PY' || exit 1
import sys
a = [l.strip().split(",") for l in open(sys.argv[1])]
b = [l.strip().split(",") for l in open(sys.argv[2])]
ids_a, ids_b = [x[1] for x in a], [x[1] for x in b]
diff = max(abs(float(x[2]) - float(y[2])) for x, y in zip(a, b))
if len(a) != 100 or ids_a != ids_b:
    print("  top 100: clusterd and pandas DIFFER (%d of 100 at the same place)"
          % sum(x == y for x, y in zip(ids_a, ids_b)))
    sys.exit(1)
print("  top 100: clusterd and pandas agree on every id and place; largest score difference %.3g" % diff)
PY
  stop_server
}

ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
yes_if() { awk "BEGIN { exit !($*) }" && echo met || echo "NOT met"; }

echo
echo "== loading $SMALL clusters"
start_server
timeout 600 "$COMP" load "$ADDR" 0 "$SMALL" | sed 's/^/  /'
stop_server
echo "== $SMALL clusters"
phase "$SMALL"
echo
echo "== loading $((LARGE - SMALL)) more clusters"
start_server
timeout 900 "$COMP" load "$ADDR" "$SMALL" "$((LARGE - SMALL))" | sed 's/^/  /'
stop_server
echo "== $LARGE clusters"
phase "$LARGE"
echo "  data directory: $(du -sm "$DATA" | cut -f1) MB"

echo
echo "== summary (medians of $ROUNDS rounds)"
printf '%-10s %12s %16s %8s %14s %12s %11s %14s %10s\n' clusters "scan floor s" "RunCompetition s" "ratio" "first run s" "VmHWM MB" "export s" "pandas script s" "pandas e2e s"
for n in "$SMALL" "$LARGE"; do
  printf '%-10s %12s %16s %8s %14s %12s %11s %14s %10s\n' "$n" "${SCANT[$n]}" "${RUN[$n]}" \
    "$(ratio "${RUN[$n]}" "${SCANT[$n]}")" "${FIRST[$n]}" "$((${HWM[$n]} / 1024))" "${EXPORT[$n]}" "${PANDAS[$n]}" "${E2E[$n]}"
done
r=$(ratio "${RUN[$LARGE]}" "${SCANT[$LARGE]}")
m=$(yes_if "$r <= 3")
echo "RunCompetition at $LARGE / scan floor: $r x (target <= 3 x): $m"
mb=$((${HWM[$LARGE]} / 1024))
m=$(yes_if "$mb <= 512")
echo "peak resident memory of clusterd at $LARGE: VmHWM $mb MB (target <= 512 MB): $m"
echo "  of which: peak anonymous memory during a run $((${PANON[$LARGE]} / 1024)) MB (sampled every 10 ms); file-backed pages $((${PFILE[$LARGE]} / 1024)) MB, the LMDB map $((${MAP[$LARGE]} / 1024)) MB of them"
g=$(ratio "${RUN[$LARGE]}" "${RUN[$SMALL]}")
m=$(yes_if "$g <= 12")
echo "growth $SMALL -> $LARGE: RunCompetition $g x (target <= 12 x): $m; scan floor $(ratio "${SCANT[$LARGE]}" "${SCANT[$SMALL]}") x"
s=$(ratio "${E2E[$LARGE]}" "${RUN[$LARGE]}")
m=$(yes_if "${RUN[$LARGE]} < ${E2E[$LARGE]}")
echo "pandas end to end at $LARGE: ${E2E[$LARGE]} s (export ${EXPORT[$LARGE]} s + script ${PANDAS[$LARGE]} s) vs RunCompetition ${RUN[$LARGE]} s: clusterd $s x faster (target: faster): $m"
echo "pandas script alone (no export) at $LARGE: ${PANDAS[$LARGE]} s"
echo "every standing of a $LARGE-cluster run through ListStandings: ${STAND[$LARGE]} s, $(awk -v n="$LARGE" -v t="${STAND[$LARGE]}" 'BEGIN{printf "%.0f", n / t}') standings/s (target >= 1000000/s; $SMALL: ${STAND[$SMALL]} s)"
