#!/usr/bin/env bash
# bench_report.sh — what `clusterctl run report RUN --top 100 -o FILE` costs
# on a run of LARGE clusters, against baselines measured in the same run:
#   1. the report (default --details 3) of a one-round, 5-criterion, top-100
#      run over LARGE clusters (the competition of bench_competition.sh):
#      wall time, user+sys CPU of clusterctl, CPU of clusterd meanwhile, and
#      the file's size; target: median wall < 2 s and every file < 2 MB;
#   2. against `clusterctl run standings RUN --min-rank 1 --max-rank 100
#      --json > /dev/null`: the same top 100 read without rendering, so the
#      report's own cost shows as a ratio;
#   3. the report with --details 0 (no per-cluster sections, so no
#      GetCluster calls);
#   4. the same report and standings of a run over SMALL clusters: growth
#      from SMALL to LARGE;
#   5. the calls each command makes and the time clusterd spent in them
#      (clusterd's request metrics, read before and after each command);
#   6. instructions executed by clusterctl for one report and one
#      standings read (callgrind; the machine's counters are not always
#      readable, and instruction counts move less between machines than
#      times do), and its peak resident memory.
# The clusters are synthetic (bench_competition load). The SMALL run is
# made when only SMALL clusters are loaded, the LARGE run after the rest
# are; clusterd is then restarted, and one untimed warm-up of each command
# precedes the timed rounds, whose order alternates. clusterd listens on
# a kernel-picked loopback port with a temporary data directory;
# everything started here is stopped, and the directory removed, on exit.
#
# Usage: tests/bench/bench_report.sh BUILD_DIR
# Environment: SMALL (100), LARGE (1000000), ROUNDS (5), TOP (100),
# THREADS (cores), CALLGRIND (1; 0 skips step 6's instruction counts).
set -euo pipefail
BUILD=${1:?usage: bench_report.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
SMALL=${SMALL:-100}
LARGE=${LARGE:-1000000}
ROUNDS=${ROUNDS:-5}
TOP=${TOP:-100}
THREADS=${THREADS:-$(nproc)}
CALLGRIND=${CALLGRIND:-1}
CLUSTERD="$BUILD/service/clusterd"
CTL="$BUILD/client/clusterctl"
COMP="$BUILD/tests/bench/bench_competition"
PLUGINS="$BUILD/plugins/lib"
for b in "$CLUSTERD" "$CTL" "$COMP"; do
  [ -x "$b" ] || { echo "bench_report: $b is not built" >&2; exit 1; }
done
[ -e "$PLUGINS/indicator.so" ] || { echo "bench_report: no plugins in $PLUGINS" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_report: /usr/bin/time missing (package time)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench_report: curl missing" >&2; exit 1; }
[ "$LARGE" -gt "$SMALL" ] || { echo "bench_report: LARGE must exceed SMALL" >&2; exit 1; }
if [ "$CALLGRIND" = 1 ] && ! command -v valgrind >/dev/null; then
  echo "bench_report: valgrind missing; no instruction counts" >&2
  CALLGRIND=0
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/clusterd-bench-report.XXXXXX")
DATA="$TMP/data"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

ADDR=""
MADDR=""
start_server() {
  rm -f "$TMP/port" "$TMP/mport"
  "$CLUSTERD" --listen 127.0.0.1:0 --port-file "$TMP/port" --data-dir "$DATA" \
    --plugin-dir "$PLUGINS" --threads "$THREADS" --log-level warn \
    --metrics-listen 127.0.0.1:0 --metrics-port-file "$TMP/mport" \
    2>>"$TMP/clusterd.log" &
  PID=$!
  for _ in $(seq 400); do
    [ -s "$TMP/port" ] && [ -s "$TMP/mport" ] && {
      ADDR="127.0.0.1:$(tr -d '\n' <"$TMP/port")"
      MADDR="127.0.0.1:$(tr -d '\n' <"$TMP/mport")"
      return 0
    }
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "bench_report: clusterd did not start:" >&2
  cat "$TMP/clusterd.log" >&2
  exit 1
}
stop_server() {
  kill -TERM "$PID"
  local rc=0
  wait "$PID" || rc=$?
  PID=""
  [ "$rc" = 0 ] || { echo "bench_report: clusterd exited with $rc:" >&2; tail -20 "$TMP/clusterd.log" >&2; exit 1; }
}
median() { sort -g | awk '{v[NR]=$1} END{ if (NR%2) printf "%.3f\n", v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2 }'; }
range() { sort -g | awk 'NR==1{a=$1} {b=$1} END{printf "%.3f-%.3f\n", a, b}'; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
yes_if() { awk "BEGIN { exit !($*) }" && echo met || echo "NOT met"; }
TICK=$(getconf CLK_TCK)
srv_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
# calls OUT: clusterd's count and total seconds of the calls it served so
# far, by method ("method count seconds" lines).
calls() {
  curl -sf "http://$MADDR/metrics" | awk '
    /^clusterd_grpc_request_duration_seconds_(count|sum)\{/ {
      match($0, /method="[^"]*"/); m = substr($0, RSTART + 8, RLENGTH - 9)
      if ($1 ~ /_count\{/) c[m] += $2; else s[m] += $2 }
    END { for (m in c) print m, c[m], s[m] + 0 }' >"$1"
}

# The benchmark competition of bench_competition.sh: one round, five
# criteria (the indicator plugin on five 2021 indicators, min-max), weights
# 30/25/20/15/10, top 100.
crit() { printf '{"id": "c%s_%s", "plugin": "indicator", "weight": %s, "normalization": "NORMALIZATION_MIN_MAX", "params": {"indicator": "%s", "year": "2021"}}' "$1" "$2" "$3" "$2"; }
cat >"$TMP/competition.json" <<EOF
{"id": "bench", "title": "benchmark: 5 criteria, min-max, weighted sum, top 100",
 "rounds": [{"name": "ranking", "selection": {"topN": 100}, "criteria": [
  $(crit 1 revenue_cny 30), $(crit 2 rd_investment_cny 25),
  $(crit 3 employment 20), $(crit 4 firms 15), $(crit 5 innovation_centres 10)]}]}
EOF

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); server threads $THREADS"
echo "clusterctl run report RUN --top $TOP -o FILE on runs of $SMALL and $LARGE clusters (one round, 5 criteria, top 100)"
echo "rounds: $ROUNDS, after one untimed warm-up of each command; the order alternates between rounds"

declare -A RUNID
make_run() { # N: the competition run over the N clusters loaded
  local out
  out=$(timeout 900 "$COMP" run "$ADDR" bench "$TMP/top.$1")
  echo "  $out"
  RUNID[$1]=$(echo "$out" | awk '{print $NF}')
}
echo
echo "== loading $SMALL clusters and running the competition"
start_server
"$CTL" --server "$ADDR" competition create "$TMP/competition.json" >/dev/null
timeout 600 "$COMP" load "$ADDR" 0 "$SMALL" | sed 's/^/  /'
make_run "$SMALL"
echo "== loading $((LARGE - SMALL)) more clusters and running the competition"
timeout 1800 "$COMP" load "$ADDR" "$SMALL" "$((LARGE - SMALL))" | sed 's/^/  /'
make_run "$LARGE"
stop_server
start_server
echo "  data directory: $(du -sm "$DATA" | cut -f1) MB; clusterd restarted"

# The commands measured, by key: size (S or L) and what.
KEYS=(L.report L.d0 L.stand S.report S.stand)
declare -A DESC
DESC[L.report]="report, $LARGE clusters, --top $TOP"
DESC[L.d0]="report, $LARGE clusters, --top $TOP --details 0"
DESC[L.stand]="standings top $TOP --json, $LARGE clusters"
DESC[S.report]="report, $SMALL clusters, --top $TOP"
DESC[S.stand]="standings top $TOP --json, $SMALL clusters"
# cmd KEY: the command line of KEY (its output: $TMP/KEY.html or stdout).
cmd() {
  local n=$SMALL
  [ "${1%%.*}" = L ] && n=$LARGE
  case "${1#*.}" in
    report) CMD=("$CTL" --server "$ADDR" run report "${RUNID[$n]}" --top "$TOP" -o "$TMP/$1.html") ;;
    d0)     CMD=("$CTL" --server "$ADDR" run report "${RUNID[$n]}" --top "$TOP" --details 0 -o "$TMP/$1.html") ;;
    stand)  CMD=("$CTL" --server "$ADDR" run standings "${RUNID[$n]}" --min-rank 1 --max-rank "$TOP" --json) ;;
  esac
}

echo
echo "== warm-up (untimed): peak resident memory of clusterctl, and a check of each page"
for k in "${KEYS[@]}"; do
  cmd "$k"
  /usr/bin/time -f "%M" -o "$TMP/rss" "${CMD[@]}" >"$TMP/$k.out"
  echo "  ${DESC[$k]}: clusterctl max RSS $(cat "$TMP/rss") kB"
done
# Every cluster of the top TOP (from the standings) is on each page.
for s in S L; do
  want=$TOP
  [ "$s" = S ] && [ "$SMALL" -lt "$TOP" ] && want=$SMALL
  ids=$(grep -o '"clusterId": "[^"]*"' "$TMP/$s.stand.out" | cut -d'"' -f4 | sort -u)
  [ "$(echo "$ids" | wc -l)" = "$want" ] || { echo "bench_report: standings of $s gave not $want ids" >&2; exit 1; }
  for k in "$s.report" "$s.d0"; do
    [ -e "$TMP/$k.html" ] || continue
    miss=$(comm -23 <(echo "$ids") <(grep -o 'bc-[0-9]*' "$TMP/$k.html" | sort -u) | wc -l)
    [ "$miss" = 0 ] || { echo "bench_report: $miss of the top $TOP missing from $k" >&2; exit 1; }
    echo "  $k.html: $(stat -c %s "$TMP/$k.html") bytes, all $want of the top $TOP named"
  done
done

echo
echo "== timed rounds: wall s, clusterctl user+sys s, clusterd user+sys s meanwhile, bytes"
TIMEFORMAT='%3R %3U %3S'
for k in "${KEYS[@]}"; do : >"$TMP/wall.$k"; : >"$TMP/cpu.$k"; : >"$TMP/srv.$k"; : >"$TMP/size.$k"; : >"$TMP/calls.$k"; done
for r in $(seq "$ROUNDS"); do
  order=("${KEYS[@]}")
  if [ $((r % 2)) = 0 ]; then
    order=(); for ((i = ${#KEYS[@]} - 1; i >= 0; i--)); do order+=("${KEYS[$i]}"); done
  fi
  echo "  round $r: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  for k in "${order[@]}"; do
    cmd "$k"
    calls "$TMP/c0"
    s0=$(srv_ticks)
    { time "${CMD[@]}" >"$TMP/$k.out" 2>"$TMP/$k.err"; } 2>"$TMP/time" ||
      { echo "bench_report: $k failed:" >&2; cat "$TMP/$k.err" >&2; exit 1; }
    s1=$(srv_ticks)
    calls "$TMP/c1"
    awk 'NR == FNR {c[$1] = $2; s[$1] = $3; next}
         $2 > c[$1] {print $1, $2 - c[$1], $3 - s[$1]}' "$TMP/c0" "$TMP/c1" >>"$TMP/calls.$k"
    read -r wall user sys <"$TMP/time"
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.3f", u + s}')
    srv=$(awk -v a="$s0" -v b="$s1" -v t="$TICK" 'BEGIN{printf "%.2f", (b - a) / t}')
    if [ -e "$TMP/$k.html" ]; then size=$(stat -c %s "$TMP/$k.html"); else size=$(stat -c %s "$TMP/$k.out"); fi
    echo "$wall" >>"$TMP/wall.$k"; echo "$cpu" >>"$TMP/cpu.$k"
    echo "$srv" >>"$TMP/srv.$k"; echo "$size" >>"$TMP/size.$k"
    printf '    %-48s wall %s  clusterctl cpu %s (user %s sys %s)  clusterd cpu %s  %s bytes\n' \
      "${DESC[$k]}" "$wall" "$cpu" "$user" "$sys" "$srv" "$size"
  done
done

echo
echo "== calls per command and clusterd's time in them (request metrics, mean of $ROUNDS rounds)"
for k in "${KEYS[@]}"; do
  echo "  ${DESC[$k]}: $(awk -v r="$ROUNDS" '{c[$1] += $2; s[$1] += $3}
    END {split("GetRun GetCompetition ListStandings GetCluster", o)
         for (i = 1; i in o; i++) if (o[i] in c) { m = o[i]
           printf "%s%s %g x %.1f ms", n++ ? "; " : "", m, c[m] / r, s[m] / r * 1000; delete c[m] }
         for (m in c) printf "%s%s %g x %.1f ms", n++ ? "; " : "", m, c[m] / r, s[m] / r * 1000}' "$TMP/calls.$k")"
done

declare -A IR
if [ "$CALLGRIND" = 1 ]; then
  echo
  echo "== instructions executed by clusterctl (valgrind --tool=callgrind, one run each)"
  for k in L.report L.d0 L.stand S.report S.stand; do
    cmd "$k"
    # The client under valgrind is slow: a longer deadline per call.
    CMD=("${CMD[0]}" --timeout 600 "${CMD[@]:1}")
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$k" "${CMD[@]}" \
      >/dev/null 2>"$TMP/cg.$k.err" || { cat "$TMP/cg.$k.err" >&2; exit 1; }
    IR[$k]=$(awk '/Collected :/ {print $NF}' "$TMP/cg.$k.err")
    echo "  ${DESC[$k]}: ${IR[$k]} instructions"
  done
  echo "  the report at $LARGE by step (inclusive):"
  callgrind_annotate --inclusive=yes "$TMP/cg.L.report" 2>/dev/null |
    awk '/:(ctl_run_report|cc_get_run|cc_get_competition|cc_list_standings|cc_get_cluster|rpt_render|write_out|cc_client_open|_dl_start|_dl_init) / {print "    " $0}'
  echo "  the report at $LARGE by function (self, the first 12):"
  callgrind_annotate "$TMP/cg.L.report" 2>/dev/null |
    awk '/%\)/ && !/PROGRAM TOTALS/ && n++ < 12 {print "    " $0}'
fi

echo
echo "== summary (medians of $ROUNDS rounds, min-max)"
printf '%-48s %22s %22s %12s %10s\n' command "wall s" "clusterctl cpu s" "clusterd s" "bytes"
for k in "${KEYS[@]}"; do
  printf '%-48s %22s %22s %12s %10s\n' "${DESC[$k]}" \
    "$(median <"$TMP/wall.$k") ($(range <"$TMP/wall.$k"))" \
    "$(median <"$TMP/cpu.$k") ($(range <"$TMP/cpu.$k"))" \
    "$(median <"$TMP/srv.$k")" "$(sort -g "$TMP/size.$k" | tail -1)"
done
W=$(median <"$TMP/wall.L.report"); MAXB=$(sort -g "$TMP/size.L.report" "$TMP/size.L.d0" | tail -1)
echo "report of a $LARGE-cluster run, --top $TOP: median wall $W s (target < 2 s): $(yes_if "$W < 2")"
echo "largest report of a $LARGE-cluster run: $MAXB bytes (target < 2 MB = 2097152 bytes): $(yes_if "$MAXB < 2097152")"
ST=$(median <"$TMP/wall.L.stand")
echo "report / standings top $TOP at $LARGE: wall $(ratio "$W" "$ST") x, clusterctl cpu $(ratio "$(median <"$TMP/cpu.L.report")" "$(median <"$TMP/cpu.L.stand")") x"
echo "growth $SMALL -> $LARGE clusters: report wall $(ratio "$W" "$(median <"$TMP/wall.S.report")") x, standings wall $(ratio "$ST" "$(median <"$TMP/wall.S.stand")") x"
if [ "$CALLGRIND" = 1 ]; then
  echo "instructions of clusterctl: report at $LARGE ${IR[L.report]} (--details 0: ${IR[L.d0]}), at $SMALL ${IR[S.report]}; standings top $TOP at $LARGE ${IR[L.stand]}"
fi
if [ "$(yes_if "$W < 2")" = met ] && [ "$(yes_if "$MAXB < 2097152")" = met ]; then
  echo "verdict: met"
else
  echo "verdict: NOT met"
fi
