#!/usr/bin/env bash
# The Kubernetes manifests of deploy/k8s: every document validated against
# the Kubernetes API's schema (and the Prometheus Operator's for the
# ServiceMonitor) with deploy/tools/validate-k8s.mjs, offline, with the npm
# packages pinned in deploy/tools; the validator is shown to refuse a
# manifest with an unknown field and a wrong type; then k8s_policy.mjs
# checks what the manifests promise beyond the schema.
# Usage: k8s_test.sh SOURCE_DIR
set -euo pipefail
SRC=$(cd "${1:?usage: k8s_test.sh SOURCE_DIR}" && pwd)
TOOLS=$SRC/deploy/tools
for m in kubernetes-models @kubernetes-models/prometheus-operator yaml typescript; do
	[ -d "$TOOLS/node_modules/$m" ] || {
		echo "k8s_test: $m missing in deploy/tools (run deploy/install-deps.sh)" >&2
		exit 1; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

mapfile -t files < <(find "$SRC/deploy/k8s" -name '*.yaml' | sort)
[ ${#files[@]} -gt 0 ] || { echo "k8s_test: no manifests" >&2; exit 1; }
node "$TOOLS/validate-k8s.mjs" "${files[@]}"

# The validator validates: a typo'd field and a string for a number fail.
sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesytem: true/; s/replicas: 1$/replicas: "1"/' \
	"$SRC/deploy/k8s/statefulset.yaml" >"$T/broken.yaml"
if node "$TOOLS/validate-k8s.mjs" "$T/broken.yaml" >"$T/out"; then
	cat "$T/out"; echo "k8s_test: a broken manifest passed" >&2; exit 1
fi
grep -q 'securityContext.readOnlyRootFilesytem: unknown field' "$T/out" &&
grep -q 'spec/replicas must be integer' "$T/out" ||
	{ cat "$T/out"; echo "k8s_test: the broken manifest failed for other reasons" >&2; exit 1; }
echo "k8s_test: a manifest with an unknown field and a wrong type is refused"

node "$SRC/tests/deploy/k8s_policy.mjs" "$SRC"
echo "k8s_test: ok"
