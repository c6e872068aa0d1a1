#!/bin/sh
# Installs the plugin SDK into a temporary prefix, builds the out-of-tree
# example plugin with pkg-config alone, and loads it (and the installed
# built-in plugins) through the registry.
# Usage: test_sdk_install.sh <build dir> <example dir> <pt_load_dir>
set -eu
build=$1
example=$2
loader=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" --component clusterplugin \
	>/dev/null
pc=$(find "$tmp/prefix" -name clusterplugin.pc)
test -n "$pc"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
pkg-config --exists clusterplugin
test -f "$(pkg-config --variable=includedir clusterplugin)/clusterplugin.h"
plugindir=$(pkg-config --variable=plugindir clusterplugin)

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
echo "sdk_install: ok"
