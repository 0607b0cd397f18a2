#!/usr/bin/env bash
# Runs on the machine running Pulumi (etcdSnapshots.copyTo): copies the snapshot the etcd phase
# just took on the first etcd member, with its .sha256, into the local directory, over the
# program's own pinned SSH (local-ssh-run.sh, fetch mode), and verifies the checksum before the
# file takes its name there. A run that took no snapshot (a new cluster) has nothing to copy.
# Copies accumulate: the operator's backup policy prunes them, not this script.
#
# Environment: KHA_SNAPSHOT_FILE (the path on the host, from the snapshot step; empty: none taken),
# KHA_COPY_TO (local directory), KHA_SSH_RUN (local-ssh-run.sh) and its KHA_NODE, KHA_HOST,
# KHA_PORT, KHA_USER, KHA_HOST_KEY, KHA_BASTION, KHA_BASTION_HOST_KEY, KHA_REMOTE_SHELL. stdin:
# the SSH private key.
set -euo pipefail

log() { echo "kubeadm-ha[etcd-snapshot-copy]: $*"; }
die() { echo "kubeadm-ha[etcd-snapshot-copy]: ERROR: $*" >&2; exit 1; }

: "${KHA_COPY_TO:?}" "${KHA_SSH_RUN:?}"
file="${KHA_SNAPSHOT_FILE:-}"
if [[ -z "$file" ]]; then
  log "no snapshot was taken in this run: nothing to copy"
  exit 0
fi
name=$(basename "$file")
dir=$(dirname "$file")
[[ "$name" =~ ^[0-9]{8}T[0-9]{6}Z-[A-Za-z0-9._-]+\.db$ && "$dir" =~ ^/[A-Za-z0-9/._-]+$ ]] ||
  die "'$file' is not a snapshot path the etcd phase writes"

mkdir -p "$KHA_COPY_TO"
work=$(mktemp -d "$KHA_COPY_TO/.incoming.XXXXXX")
trap 'rm -rf "$work"' EXIT
KHA_SSH_MODE=fetch KHA_REMOTE_PROGRAM="cd '$dir' && tar cf - '$name' '$name.sha256'" \
  bash -c "$KHA_SSH_RUN" >"$work/snapshot.tar"
tar xf "$work/snapshot.tar" -C "$work" "$name" "$name.sha256" ||
  die "$KHA_NODE sent no snapshot $name (was it removed by etcdSnapshots.keep?)"
(cd "$work" && sha256sum --quiet -c "$name.sha256") || die "the copy of $name does not match its sha256: not kept"
mv -f "$work/$name.sha256" "$KHA_COPY_TO/$name.sha256"
mv -f "$work/$name" "$KHA_COPY_TO/$name"
log "copied $name from $KHA_NODE to $KHA_COPY_TO (sha256 verified)"
