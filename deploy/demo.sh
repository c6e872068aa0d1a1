#!/usr/bin/env bash
# The demo behind `./deploy/run.sh --demo`: starts clusterd on a fresh LMDB
# data directory (var/demo), and through clusterctl
#   1. loads the real WIPO GII 2023 sample, shows the registry, the scoring
#      plugins and health;
#   2. runs the GII method on the sample as a competition and prints the
#      computed ranks next to the published ones (it fails if one differs);
#   3. runs a two-round, national-style competition (quantitative
#      preliminary, expert final with provincial quotas and industry
#      leaders) over the 25 real 2021 national advanced manufacturing
#      clusters plus 45 illustrative candidates, with indicator values and
#      expert scores that are SYNTHETIC (generated with a fixed seed by
#      deploy/examples/gen_national_candidates.py), as a server-side job,
#      and prints each round's standings with the decisions and their
#      reasons, the sensitivity band, the result and its summary, and an
#      explanation of the finalist closest to selection — all from
#      clusterctl and the API;
#   4. runs a what-if of it (innovation weighed more) and writes each run's
#      report, one self-contained HTML page with charts (clusterctl run
#      report), into var/reports, the what-if against the national run;
# then stops the server. Idempotent; exit status 0 on success.
# Usage: deploy/demo.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="${1:?usage: demo.sh BUILD_DIR}"
BUILD=$(cd "$BUILD" && pwd)
CTL="$BUILD/client/clusterctl"
EX="$ROOT/deploy/examples"
PY=/usr/bin/python3
# DEMO_DATA: another data directory (tests/deploy runs the demo on one in
# the build tree); it is emptied first.
DATA="${DEMO_DATA:-$ROOT/var/demo}"
# DEMO_REPORTS: where the run reports go (emptied first).
REPORTS="${DEMO_REPORTS:-$ROOT/var/reports}"
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

rm -rf "$DATA"
mkdir -p "$(dirname "$DATA")"
"$BUILD/service/clusterd" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --data-dir "$DATA" --plugin-dir "$BUILD/plugins/lib" 2>"$WORK/clusterd.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$WORK/port" ]; then
  echo "demo: clusterd did not start:" >&2
  cat "$WORK/clusterd.log" >&2
  exit 1
fi
SERVER="127.0.0.1:$(cat "$WORK/port")"
ctl() { "$CTL" --server "$SERVER" "$@"; }
echo "== clusterd serving on $SERVER, data in $DATA"

# ------------------------------------------------------------ the registry
echo "== importing the WIPO GII 2023 sample (ranks 1-17, real published data)"
ctl cluster import "$EX/gii2023_st_clusters_top17.clusters.csv"
echo
echo "== the registry"
ctl cluster list
echo
echo "== clusters of economy CN (secondary index; CN/HK counts as CN)"
ctl cluster list --economy CN
echo
echo "== scoring plugins"
ctl plugin list
echo
echo "== health"
ctl health

echo
echo "== the GII method as a competition ($EX/gii2023_competition.json)"
ctl competition create "$EX/gii2023_competition.json"
ctl competition run gii-2023 --json >"$WORK/gii-run.json"
GII_RUN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' \
  "$WORK/gii-run.json")
echo
echo "== run $GII_RUN as clusterctl shows it (clusterctl run get $GII_RUN)"
ctl run get "$GII_RUN"
echo
echo "== computed against published ranks"
"$PY" "$EX/demo_report.py" gii "$WORK/gii-run.json" \
  "$EX/gii2023_st_clusters_top17.csv"

# ------------------------------------------ the national-style competition
cat <<'TXT'

########################################################################
#  National-style competition on SYNTHETIC data                        #
#  Cluster identities: the 25 real 2021 national advanced              #
#  manufacturing clusters + 45 illustrative candidates (not the real   #
#  entrants). Every indicator value and every expert score below is    #
#  SYNTHETIC, generated with a fixed seed; none is a real figure.      #
########################################################################
TXT
echo
echo "== generating the SYNTHETIC candidate data"
"$PY" "$EX/gen_national_candidates.py" "$WORK/national.jsonl"
echo "sha256 $(sha256sum "$WORK/national.jsonl" | cut -d' ' -f1) (the same on every run)"
ctl cluster import "$WORK/national.jsonl"
echo
echo "== one candidate: SYNTHETIC indicators for 2019-2021 and SYNTHETIC expert"
echo "   assessments (the judge from the cluster's own province is recused)"
ctl cluster get miit21-wuxi-iot
echo
echo "== the competition ($EX/national2021_competition.json)"
ctl competition create "$EX/national2021_competition.json" >/dev/null
ctl competition get national-2021-demo
echo
echo "== checking the definition without storing anything"
echo "   (clusterctl competition validate $EX/national2021_competition.json)"
ctl competition validate "$EX/national2021_competition.json"
# The run, with a weight-sensitivity analysis: 200 samples, every weight
# perturbed by up to +/-20 %, seed 7. It is a job of the server: started,
# then watched until it ends.
NAT_RUN=$(ctl competition run national-2021-demo --samples 200 --jitter 20 \
  --seed 7 --detach 2>/dev/null)
[ -n "$NAT_RUN" ] || { echo "demo: the run did not start" >&2; exit 1; }
echo
echo "== run $NAT_RUN started on the server; watching it (clusterctl run watch $NAT_RUN)"
ctl run watch "$NAT_RUN" --json >"$WORK/national-run.json"
echo
echo "== round 1, preliminary: every candidate with its normalised criterion"
echo "   scores and the decision (clusterctl run standings $NAT_RUN --round preliminary --all)"
echo "   (the GII clusters of the registry are candidates too; the dataset"
echo "   label filter makes them not eligible)"
ctl run standings "$NAT_RUN" --round preliminary --all
echo
echo "== round 2, final: the expert panel (SYNTHETIC scores), with the rank"
echo "   band and the shares of the 200 samples in which each cluster reached"
echo "   the final and was selected (clusterctl run standings $NAT_RUN --round final --all)"
ctl run standings "$NAT_RUN" --round final --all
echo
echo "== the run: its rounds, decisions counted, the result and its summary"
echo "   (clusterctl run get $NAT_RUN)"
ctl run get "$NAT_RUN"
# The finalist closest to being selected, as the run records it.
NEAR=$("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]));
print(r["rounds"][-1].get("bestUnselectedClusterId", ""))' "$WORK/national-run.json")
if [ -n "$NEAR" ]; then
  echo
  echo "== why $NEAR was not selected, and what would change that"
  echo "   (clusterctl run explain $NAT_RUN $NEAR)"
  ctl run explain "$NAT_RUN" "$NEAR"
fi
echo
echo "== the selection by province beside the real 2021 result"
"$PY" "$EX/demo_report.py" compare "$WORK/national-run.json" \
  "$EX/miit2021_advanced_manufacturing_clusters.csv"

# ------------------------------------------------------------- the reports
echo
echo "== what if the preliminary round weighed innovation more?"
echo "   ($EX/national2021_innovation_competition.json: innovation 45, scale 15)"
ctl competition create "$EX/national2021_innovation_competition.json" >/dev/null
WHATIF_RUN=$(ctl competition run national-2021-innovation --json 2>/dev/null |
  "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "run $WHATIF_RUN"
echo
echo "== the runs as reports: one HTML page each, charts inline, nothing"
echo "   fetched (clusterctl run report RUN -o FILE); open them in a browser"
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
ctl run report "$GII_RUN" --top 17 -o "$REPORTS/gii-2023.html"
ctl run report "$NAT_RUN" -o "$REPORTS/national-2021.html"
ctl run report "$NAT_RUN" --cluster miit21-wuxi-iot \
  -o "$REPORTS/national-2021-wuxi-iot.html"
ctl run report "$WHATIF_RUN" --baseline "$NAT_RUN" \
  -o "$REPORTS/national-2021-innovation-vs-demo.html"
echo
echo "== stored runs (clusterctl run list)"
ctl run list
echo
echo "== stopping clusterd"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=""
echo "demo: done"
