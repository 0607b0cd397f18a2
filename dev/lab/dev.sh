#!/usr/bin/env bash
# README's first command: the main job on the default stack (`dev`, bare metal) against the lab.
#
#   bash dev/lab/dev.sh up      install what is missing, build or reuse the engine, boot the lab,
#                           make the air-gapped artifacts, then `pulumi up` of the dev stack
#   bash dev/lab/dev.sh down    `pulumi destroy` of the dev stack (hosts reset), then lab down
#   bash dev/lab/dev.sh pulumi ARGS...   any pulumi command on the dev stack, inside the lab namespace
#
# State lives in dev/lab/.work/state (a file backend); the passphrase is dev/engine/env.sh's lab default.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
LAB="$REPO/dev/lab/lab.sh"
STACK="${KHA_STACK:-dev}"
HOSTS="${KHA_LAB_HOSTS:-5}"

log() { printf '[dev] %s\n' "$*"; }

prepare() {
  bash dev/engine/install-deps.sh
  # shellcheck source=dev/engine/env.sh
  source "$REPO/dev/engine/env.sh"
  [[ -d node_modules/@pulumi/pulumi ]] || npm ci --ignore-scripts --no-audit --no-fund
  bash dev/engine/toolchain.sh
}

engine() {
  # shellcheck source=dev/engine/env.sh
  source "$REPO/dev/engine/env.sh"
  kha_backend "$REPO/dev/lab/.work/state"
  pulumi stack select "$STACK" >/dev/null 2>&1 || pulumi stack init "$STACK" --non-interactive >/dev/null
}

artifacts() {
  if [[ -f dev/lab/artifacts/build.sh ]]; then
    bash dev/lab/artifacts/build.sh
  else
    # etcd only (enough for `stopAfter: etcd`)
    local dir
    dir="$(bash dev/lab/etcd-build.sh)"
    mkdir -p dev/lab/.work/artifacts/bin
    cp -f "$dir/etcd" "$dir/etcdctl" dev/lab/.work/artifacts/bin/
  fi
}

case "${1:-}" in
  up)
    start=$SECONDS
    prepare
    bash "$LAB" up "$HOSTS"
    artifacts
    # the compiled program starts faster (program.js runs it only when it matches the sources)
    node program.js --check || npm run --silent build
    engine
    "$LAB" exec pulumi up --yes --stack "$STACK" --non-interactive
    log "dev stack up in $((SECONDS - start)) s"
    ;;
  down)
    engine
    # pulumi only ever runs inside the lab namespace: from outside, SSH to 10.77.0.x would leave
    # this machine. A lab that is down is booted again so the hosts can be reset.
    bash "$LAB" up "$HOSTS" >/dev/null
    "$LAB" exec pulumi destroy --yes --stack "$STACK" --non-interactive
    bash "$LAB" down
    ;;
  pulumi)
    shift
    engine
    "$LAB" exec pulumi "$@" --stack "$STACK"
    ;;
  *)
    sed -n '2,10p' "$0"
    exit 2
    ;;
esac
