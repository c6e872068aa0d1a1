#!/bin/sh
# clusterd-secrets: copies secret files to where clusterd reads them, owned
# by the user that runs this and with mode 0600, as clusterd demands of a
# tokens file and a TLS key.
#
# Kubernetes mounts a Secret's files as root's (mode 0400: unreadable for
# a non-root clusterd) or, with fsGroup, group-readable (0440: refused by
# clusterd). An init container runs `clusterd-secrets copy` into an
# in-memory emptyDir before clusterd starts; a sidecar in the same pod
# (shareProcessNamespace: true, the same uid) runs `clusterd-secrets watch`,
# which copies again when Kubernetes updates the Secret and then sends
# clusterd SIGHUP: it rereads the tokens file and the TLS files.
#
# Usage: clusterd-secrets copy SRC DST
#        clusterd-secrets watch SRC DST [SECONDS]   (default 10)
set -eu
usage() {
	echo "usage: clusterd-secrets copy|watch SRC DST [SECONDS]" >&2
	exit 2
}
[ $# -ge 3 ] || usage
cmd=$1 src=$2 dst=$3 every=${4:-10}
umask 077

# Every regular file of SRC (a Secret volume's names are symlinks into a
# hidden ..data directory: followed; the hidden entries are skipped).
# Prints the names it copied. Each copy is written beside its target and
# renamed over it, so clusterd never reads half a file.
sync_dir() {
	for f in "$src"/*; do
		[ -f "$f" ] || continue
		name=${f##*/}
		if [ -f "$dst/$name" ] && cmp -s "$f" "$dst/$name"; then
			continue
		fi
		cp "$f" "$dst/.$name.new"
		chmod 0600 "$dst/.$name.new"
		mv -f "$dst/.$name.new" "$dst/$name"
		echo "$name"
	done
}

# SIGHUP to every clusterd this user may signal.
hup_clusterd() {
	sent=0
	for d in /proc/[0-9]*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = clusterd ] || continue
		kill -HUP "${d#/proc/}" 2>/dev/null && sent=$((sent + 1))
	done
	echo "clusterd-secrets: SIGHUP sent to $sent clusterd process(es)"
}

mkdir -p "$dst"
case $cmd in
copy)
	sync_dir >/dev/null
	;;
watch)
	sync_dir >/dev/null
	while sleep "$every"; do
		changed=$(sync_dir)
		if [ -n "$changed" ]; then
			echo "clusterd-secrets: updated" $changed
			hup_clusterd
		fi
	done
	;;
*)
	usage
	;;
esac
