#!/usr/bin/env bash
# The demo behind `./deploy/run.sh --demo`: starts clusterd on a fresh LMDB
# data directory (var/demo), loads the real WIPO GII 2023 sample through
# clusterctl, shows the registry and the scoring plugins, tries a competition
# run, and stops the server.
# Usage: deploy/demo.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD="${1:?usage: demo.sh BUILD_DIR}"
CTL="$BUILD/client/clusterctl"
DATA="$ROOT/var/demo"
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
mkdir -p "$ROOT/var"
"$BUILD/service/clusterd" --listen 127.0.0.1:0 --port-file "$WORK/port" \
  --data-dir "$DATA" --plugin-dir "$BUILD/plugins/lib" 2>"$WORK/clusterd.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  sleep 0.1
done
if [ ! -s "$WORK/port" ]; then
  echo "demo: clusterd did not start:" >&2
  cat "$WORK/clusterd.log" >&2
  exit 1
fi
SERVER="127.0.0.1:$(cat "$WORK/port")"
echo "== clusterd serving on $SERVER, data in $DATA"

# The published table, turned into clusterctl's CSV: the raw counts become
# indicators (PCT filings and publications, 2018-2022 totals, filed under
# 2022), the published rank and score become labels for comparison.
/usr/bin/python3 - "$ROOT/deploy/examples/gii2023_st_clusters_top17.csv" \
  "$WORK/gii.csv" <<'PY'
import csv, re, sys, unicodedata
src, dst = sys.argv[1], sys.argv[2]
rows = [l for l in open(src, encoding="utf-8") if not l.startswith("#")]
with open(dst, "w", newline="", encoding="utf-8") as out:
    w = csv.writer(out)
    w.writerow(["id", "name", "economy", "pct_applications@2022",
                "scientific_publications@2022", "label:published_rank",
                "label:published_score"])
    for r in csv.DictReader(rows):
        slug = unicodedata.normalize("NFKD", r["cluster"]).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
        w.writerow(["gii23-" + slug, r["cluster"], r["economy"],
                    r["pct_applications"], r["scientific_publications"],
                    r["rank"], r["total_share"]])
PY

echo "== importing the WIPO GII 2023 sample (ranks 1-17)"
"$CTL" --server "$SERVER" cluster import "$WORK/gii.csv"
echo
echo "== the registry"
"$CTL" --server "$SERVER" cluster list
echo
echo "== clusters of economy CN (secondary index; CN/HK counts as CN)"
"$CTL" --server "$SERVER" cluster list --economy CN
echo
echo "== scoring plugins"
"$CTL" --server "$SERVER" plugin list || true
echo
echo "== health"
"$CTL" --server "$SERVER" health

cat > "$WORK/gii.json" <<'JSON'
{"id": "gii-2023", "title": "Top science and technology clusters",
 "edition": "2023",
 "rounds": [{"name": "ranking",
   "criteria": [{"id": "st", "plugin": "st_output", "weight": 1,
     "params": {"total_a": "1262000", "total_b": "7500000"}}],
   "selection": {"topN": 100}}]}
JSON
echo
echo "== the GII method as a competition"
if "$CTL" --server "$SERVER" competition create "$WORK/gii.json" 2>"$WORK/err" &&
   "$CTL" --server "$SERVER" competition run gii-2023 2>>"$WORK/err"; then
  :
else
  echo "demo: competition runs are not served by this build yet:" >&2
  cat "$WORK/err" >&2
  echo "demo: (the st_output plugin's scoring of this sample against the" \
       "published ranks is checked by tests/plugins/test_gii2023)" >&2
fi
echo
echo "== stopping clusterd"
