#!/bin/sh
# clusterd-healthcheck: the container image's HEALTHCHECK (and Kubernetes'
# exec probe): grpc.health.v1 Check of the server in this container through
# clusterctl; exit status 0 only when it answers SERVING.
#
# TLS when the server has a certificate where the image's command reads it
# (/run/secrets/clusterd/tls.crt): the server is then verified with ca.crt
# beside it (else the system's CAs) under the name localhost, unless the
# CLUSTERCTL_TLS* variables say otherwise (CLUSTERCTL_TLS_SERVER_NAME when
# the certificate does not name localhost; CLUSTERCTL_TLS_CERT and
# CLUSTERCTL_TLS_KEY when the server requires client certificates).
# Health needs no token.
set -eu
dir=${CLUSTERD_SECRETS_DIR:-/run/secrets/clusterd}
if [ -z "${CLUSTERCTL_TLS_CA:-}${CLUSTERCTL_TLS:-}" ] && [ -f "$dir/tls.crt" ]; then
	if [ -f "$dir/ca.crt" ]; then
		CLUSTERCTL_TLS_CA=$dir/ca.crt
		export CLUSTERCTL_TLS_CA
	else
		CLUSTERCTL_TLS=1
		export CLUSTERCTL_TLS
	fi
	CLUSTERCTL_TLS_SERVER_NAME=${CLUSTERCTL_TLS_SERVER_NAME:-localhost}
	export CLUSTERCTL_TLS_SERVER_NAME
fi
listen=${CLUSTERD_LISTEN:-127.0.0.1:50051}
exec /usr/bin/clusterctl --server "127.0.0.1:${listen##*:}" --timeout 5s health
