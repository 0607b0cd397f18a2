# shellcheck shell=bash
# Shared helpers for the end-to-end tests: real Pulumi engine, real lab hosts. Source after
# `set -euo pipefail`. The engine runs inside the lab's network namespace (dev/lab/lab.sh exec), so
# SSH targets are the hosts' 10.77.0.x addresses, exactly like bare metal.

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$E2E_DIR/../.." && pwd)"
# shellcheck source=dev/engine/env.sh
source "$REPO/dev/engine/env.sh"
LAB="$REPO/dev/lab/lab.sh"
E2E_STATE="$REPO/dev/lab/.work/e2e-state"
E2E_FAILURES=0
E2E_CHECKS=0
E2E_NAME="$(basename "$0" .test.sh)"
E2E_TIMINGS=()

say() { printf '[%s] %s\n' "$E2E_NAME" "$*"; }

check() {
  local what="$1"
  shift
  E2E_CHECKS=$((E2E_CHECKS + 1))
  if "$@"; then
    say "ok   - $what"
  else
    say "FAIL - $what"
    E2E_FAILURES=$((E2E_FAILURES + 1))
  fi
}

# timed LABEL CMD...: runs CMD, records its wall time
timed() {
  local label="$1" start=$SECONDS status=0
  shift
  "$@" || status=$?
  E2E_TIMINGS+=("$label: $((SECONDS - start)) s")
  say "time - $label: $((SECONDS - start)) s"
  return $status
}

# failed_run LOG: what a failed pulumi run said, for the CI log: the diagnostics (each failed
# resource's error and its host script's last words), then the tally. The tail of the log alone is
# the stack's outputs, which say nothing of the failure. (A run that ended before it printed a
# diagnostics section gets its last 60 lines.)
failed_run() {
  local log=$1
  if grep -q '^Diagnostics:' "$log"; then
    sed -n '/^Diagnostics:/,/^\(Outputs\|Resources\):/p' "$log" | head -n 200
    grep -A8 '^Resources:' "$log" || true
  else
    tail -n 60 "$log"
  fi
}

e2e_finish() {
  say "timings:"
  local t
  for t in "${E2E_TIMINGS[@]}"; do say "  $t"; done
  say "$((E2E_CHECKS - E2E_FAILURES)) passed, $E2E_FAILURES failed"
  ((E2E_FAILURES == 0))
}

e2e_require_engine() {
  command -v pulumi >/dev/null || { say "FAIL: no pulumi (run dev/engine/toolchain.sh)"; exit 1; }
  [[ -d "$REPO/node_modules/@pulumi/pulumi" ]] || { say "FAIL: npm ci first"; exit 1; }
}

# Air-gapped etcd for the lab stacks: etcd 3.5 built from Go modules, under dev/lab/.work/artifacts-etcd/bin.
e2e_etcd_artifacts() {
  local dir
  dir="$(bash "$REPO/dev/lab/etcd-build.sh")"
  mkdir -p "$REPO/dev/lab/.work/artifacts-etcd/bin"
  cp -f "$dir/etcd" "$dir/etcdctl" "$REPO/dev/lab/.work/artifacts-etcd/bin/"
  E2E_ETCDCTL="$REPO/dev/lab/.work/artifacts-etcd/bin/etcdctl"
}

# e2e_stack NAME: a stack whose config is test/e2e/stacks/NAME.yaml (copied to the project as
# Pulumi.NAME.yaml, git-ignored), state in dev/lab/.work/e2e-state.
e2e_stack() {
  E2E_STACK="$1"
  cp "$E2E_DIR/stacks/$E2E_STACK.yaml" "$REPO/Pulumi.$E2E_STACK.yaml"
  kha_backend "$E2E_STATE"
  (cd "$REPO" && { pulumi stack select "$E2E_STACK" 2>/dev/null || pulumi stack init "$E2E_STACK" --non-interactive; } >/dev/null)
}

e2e_stack_rm() {
  (cd "$REPO" && pulumi stack rm "$E2E_STACK" --yes --force --non-interactive >/dev/null 2>&1) || true
  rm -f "$REPO/Pulumi.$E2E_STACK.yaml"
}

# pl ARGS...: pulumi inside the lab namespace, on the current stack, logs to $E2E_LOG
pl() {
  (cd "$REPO" && "$LAB" exec pulumi "$@" --stack "$E2E_STACK" --non-interactive)
}

# etcdctl from the test machine (inside the namespace) with the stack's own client certificate: CA
# and certificate from the stack outputs, the key (never an output) from an etcd member over SSH
e2e_client_certs() {
  local member="${1:-kha-node-1}"
  E2E_CERTS="$(mktemp -d)"
  chmod 700 "$E2E_CERTS"
  (cd "$REPO" && pulumi stack output etcdCaCert --stack "$E2E_STACK" > "$E2E_CERTS/ca.crt" &&
    pulumi stack output etcdHealthcheckClientCert --stack "$E2E_STACK" > "$E2E_CERTS/client.crt")
  (umask 077 && on_host "$member" cat /etc/kubernetes/pki/etcd/healthcheck-client.key > "$E2E_CERTS/client.key")
  cmp -s <(openssl x509 -noout -pubkey -in "$E2E_CERTS/client.crt") <(openssl pkey -pubout -in "$E2E_CERTS/client.key") ||
    { say "FAIL: the key on $member does not match the stack's client certificate"; return 1; }
}

etcdctl_at() {
  local endpoints="$1"
  shift
  "$LAB" exec env ETCDCTL_API=3 "$E2E_ETCDCTL" --endpoints="$endpoints" --cacert="$E2E_CERTS/ca.crt" \
    --cert="$E2E_CERTS/client.crt" --key="$E2E_CERTS/client.key" --command-timeout=5s "$@"
}

on_host() {
  local host="$1"
  shift
  "$LAB" ssh "$host" "$@"
}

# sshd logins on HOST between two timestamps (to prove a no-op `up` ran no remote command)
ssh_logins() {
  on_host "$1" "journalctl -q _COMM=sshd --since '$2' --until '$3' | grep -c 'Accepted publickey' || true"
}

# wait_until DESCRIPTION TRIES DELAY CMD...: bounded wait
wait_until() {
  local what="$1" tries="$2" delay="$3" i
  shift 3
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep "$delay"
  done
  say "gave up waiting for $what"
  return 1
}

# e2e_kubernetes: what every Kubernetes drill starts with: the lab's Kubernetes artifacts (built
# or reused, then required), KUBECTL, a private WORK directory (the admin kubeconfig goes to
# $WORK/admin.conf), and an exit trap that destroys the current stack, removes WORK and takes the
# lab down.
e2e_kubernetes() {
  ART="$REPO/dev/lab/.work/artifacts"
  if [[ -f "$REPO/dev/lab/artifacts/build.sh" ]]; then timed "artifacts (build or reuse)" bash "$REPO/dev/lab/artifacts/build.sh" >/dev/null; fi
  [[ -x "$ART/bin/kubeadm" && -x "$ART/bin/kubectl" ]] || { say "FAIL: no Kubernetes artifacts in $ART (dev/lab/artifacts/build.sh)"; exit 1; }
  KUBECTL="$ART/bin/kubectl"
  WORK="$(mktemp -d)"
  chmod 700 "$WORK"
  trap e2e_kubernetes_cleanup EXIT
}

e2e_kubernetes_cleanup() {
  local status=$?
  if [[ -n "${E2E_STACK:-}" ]]; then
    pl destroy --yes --skip-preview >/dev/null 2>&1 || true
    e2e_stack_rm
  fi
  rm -rf "$WORK"
  bash "$LAB" down >/dev/null 2>&1 || true
  exit $status
}

# kubectl from inside the lab with the stack's admin kubeconfig
k() { "$LAB" exec "$KUBECTL" --kubeconfig "$WORK/admin.conf" --request-timeout=10s "$@"; }
node_ready() { k get node "$1" --no-headers 2>/dev/null | awk '{print $2}' | grep -qx Ready; }

# proxy_probe HOST TRIES: a bounded request loop (every 0.5 s, at most TRIES requests) through HOST's
# apiserver proxy with /root/admin-proxy.conf (the admin kubeconfig pointed at localhost:6443),
# until $WORK/probe-stop exists; writes "answered failed" to $WORK/probe-result. Run it in the
# background around the `pulumi up` it watches.
proxy_probe() {
  local host=$1 tries=$2 ok=0 failed=0 i
  for ((i = 0; i < tries; i++)); do
    [[ ! -e "$WORK/probe-stop" ]] || break
    if on_host "$host" /usr/local/bin/kubectl --kubeconfig /root/admin-proxy.conf --request-timeout=3s get --raw /readyz >/dev/null 2>&1; then
      ok=$((ok + 1))
    else
      failed=$((failed + 1))
    fi
    sleep 0.5
  done
  echo "$ok $failed" >"$WORK/probe-result"
}
