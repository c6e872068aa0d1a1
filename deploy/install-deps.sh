#!/usr/bin/env bash
# Installs the Debian packages clusterd needs to build, test and run,
# only those that are missing. Idempotent; works as root or through sudo.
set -euo pipefail

# Each package is used by the build, the tests or the benchmarks; none is
# listed "for later".
PACKAGES=(
  # build
  build-essential cmake pkg-config
  libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
  protobuf-compiler libprotobuf-dev grpc-proto
  liblmdb-dev libjansson-dev libcsv-dev
  # tests: cmocka, the Python interop client, valgrind
  libcmocka-dev python3 python3-grpcio python3-protobuf valgrind
  # benchmarks: h2load, and pandas as the comparison
  nghttp2-client python3-pandas
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
