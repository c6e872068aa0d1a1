#!/bin/sh
# Installs the plugin SDK into a temporary prefix, builds the out-of-tree
# example plugin with pkg-config alone, and loads it (and the installed
# built-in plugins) through the registry; given clusterd and clusterctl, it
# also starts clusterd with the example in its plugin directory, expects it
# in `clusterctl plugin list`, and runs a competition scored by it.
# Usage: test_sdk_install.sh <build dir> <example dir> <pt_load_dir>
#        [<clusterd> <clusterctl>]
set -eu
build=$1
example=$2
loader=$3
server=${4:-}
ctl=${5:-}
tmp=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$tmp/prefix" --component clusterplugin \
	>/dev/null
pc=$(find "$tmp/prefix" -name clusterplugin.pc)
test -n "$pc"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
pkg-config --exists clusterplugin
header="$(pkg-config --variable=includedir clusterplugin)/clusterplugin.h"
test -f "$header"
plugindir=$(pkg-config --variable=plugindir clusterplugin)

# The .pc's version is the ABI version of the header it installs.
major=$(sed -n 's/^#define CP_ABI_MAJOR \([0-9][0-9]*\) *$/\1/p' "$header")
minor=$(sed -n 's/^#define CP_ABI_MINOR \([0-9][0-9]*\) *$/\1/p' "$header")
test -n "$major" && test -n "$minor"
version=$(pkg-config --modversion clusterplugin)
if [ "$version" != "$major.$minor" ] ||
   [ "$(pkg-config --variable=abi_major clusterplugin)" != "$major" ] ||
   [ "$(pkg-config --variable=abi_minor clusterplugin)" != "$minor" ]; then
	echo "sdk_install: clusterplugin.pc says $version, the header" \
		"$major.$minor" >&2
	exit 1
fi
pkg-config --atleast-version="$major.0" clusterplugin

# Only the example's own files: no way to reach the source tree's headers.
mkdir "$tmp/src"
cp "$example/Makefile" "$example/ratio.c" "$tmp/src/"
# The server may run under sanitizers; the plugin needs none of them.
env -u CFLAGS -u LDFLAGS make -s -C "$tmp/src"

mkdir -m 0700 "$tmp/plugins"
cp "$tmp/src/ratio.so" "$tmp/plugins/"
chmod 0644 "$tmp/plugins/ratio.so"
"$loader" "$tmp/plugins" ratio
"$loader" "$plugindir" builtins

if [ -n "$server" ]; then
	"$server" --listen 127.0.0.1:0 --data-dir "$tmp/data" \
		--port-file "$tmp/port" --plugin-dir "$tmp/plugins" \
		2>"$tmp/clusterd.log" &
	pid=$!
	while [ ! -s "$tmp/port" ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			cat "$tmp/clusterd.log" >&2
			echo "sdk_install: clusterd exited" >&2
			exit 1
		fi
		sleep 0.05
	done
	port=$(cat "$tmp/port")
	"$ctl" --server "127.0.0.1:$port" plugin list >"$tmp/list"
	cat "$tmp/list"
	if ! grep -q '^ratio .*ratio\.so' "$tmp/list"; then
		cat "$tmp/clusterd.log" >&2
		echo "sdk_install: ratio not in plugin list" >&2
		exit 1
	fi
	# And it scores in a real evaluation: R&D intensity in percent,
	# 5/100 = 5, 30/200 = 15, 1/50 = 2, so b ranks first, then a, then c.
	cat >"$tmp/clusters.csv" <<'CSV'
id,name,economy,rd_investment_cny@2021,revenue_cny@2021
sdk-a,Cluster A,CN,5,100
sdk-b,Cluster B,CN,30,200
sdk-c,Cluster C,CN,1,50
CSV
	cat >"$tmp/comp.json" <<'JSON'
{"id": "sdk-ratio", "title": "R&D intensity",
 "rounds": [{"name": "only", "criteria": [{"id": "rd", "plugin": "ratio",
   "weight": 1, "normalization": "NORMALIZATION_NONE"}]}]}
JSON
	"$ctl" --server "127.0.0.1:$port" cluster import "$tmp/clusters.csv"
	"$ctl" --server "127.0.0.1:$port" competition create "$tmp/comp.json"
	"$ctl" --server "127.0.0.1:$port" --json competition run sdk-ratio \
		>"$tmp/run.json"
	/usr/bin/python3 - "$tmp/run.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
run = json.loads(text[text.index("{"):])
got = [(s["clusterId"], s["rank"], round(s["score"], 9))
       for s in run["standings"]]
want = [("sdk-b", 1, 15.0), ("sdk-a", 2, 5.0), ("sdk-c", 3, 2.0)]
if got != want:
    sys.exit("sdk_install: ratio run gave %r, want %r" % (got, want))
plugins = [p["name"] for p in run.get("plugins", [])]
if plugins != ["ratio"]:
    sys.exit("sdk_install: run records plugins %r" % plugins)
print("sdk_install: ratio scored the run:", got)
PY
	kill "$pid"
	wait "$pid" || { echo "sdk_install: clusterd failed to stop" >&2; exit 1; }
	pid=
fi
echo "sdk_install: ok"
