#!/usr/bin/env bash
# A one-host kubeadm smoke test of the artifacts on a running lab host (as root):
#   bash dev/lab/artifacts/smoke.sh [HOST]     (default kha-node-1; the lab must be up: dev/lab/lab.sh up 1)
# copies bin/{kubeadm,kubelet,kubectl,etcd} and images/*.tar to the host, runs smoke-host.sh up
# there (kubeadm init with external etcd, kube-proxy, CoreDNS, an echo Deployment behind a
# Service) and always smoke-host.sh down afterwards (KHA_SMOKE_KEEP=1 keeps the cluster for a look;
# `bash dev/lab/lab.sh ssh HOST bash /tmp/kha-smoke-host.sh down` undoes it). It neither starts nor
# stops the lab.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
HOST="${1:-kha-node-1}"
LAB="$ARTIFACTS_SRC/../lab.sh"
DIR="$(readlink -f "${KHA_ARTIFACTS_DIR:-$ARTIFACTS_SRC/../.work/artifacts}")"
[[ -x "$DIR/bin/kubeadm" ]] || die "no artifacts in $DIR (bash dev/lab/artifacts/build.sh)"
on_host() { bash "$LAB" ssh "$HOST" "$@"; }
cleanup() { on_host bash /tmp/kha-smoke-host.sh down </dev/null || log "clean-up on $HOST failed"; }
start=$SECONDS
on_host 'cat >/tmp/kha-smoke-host.sh' <"$ARTIFACTS_SRC/smoke-host.sh"
[[ "${KHA_SMOKE_KEEP:-0}" == 1 ]] || trap cleanup EXIT
tar -C "$DIR" -cf - bin/kubeadm bin/kubelet bin/kubectl bin/etcd images | on_host 'rm -rf /tmp/kha-smoke && mkdir -p /tmp/kha-smoke && tar -C /tmp/kha-smoke -xf -'
log "artifacts copied to $HOST ($((SECONDS - start)) s)"
on_host bash /tmp/kha-smoke-host.sh up </dev/null
log "smoke passed on $HOST in $((SECONDS - start)) s"
