#!/usr/bin/env bash
# The real engine evaluates the real program (no mocks) for the default `dev` stack's topology
# and for a full Kubernetes topology (the drills' stack): `pulumi preview --json` must plan
# exactly the resources, by type, that the program registers under mocks. Artifacts are switched to `release` so the
# preview needs no lab files (a preview runs nothing on hosts either way).
set -euo pipefail
# shellcheck source=test/engine/lib.sh
source "$(dirname "$0")/lib.sh"

engine_require_toolchain
engine_skip_unless_plugin tls
engine_skip_unless_plugin command
WORK="$(mktemp -d)"
STACK=""
cleanup() {
  if [[ -n "$STACK" ]]; then
    (cd "$REPO" && pulumi stack rm "$STACK" --yes --force --non-interactive >/dev/null 2>&1) || true
    rm -f "$REPO/Pulumi.$STACK.yaml"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
ssh-keygen -q -t ed25519 -N "" -f "$WORK/id_ed25519"
kha_backend "$WORK/state"
cd "$REPO"

# preview_matches_mocks NAME CONFIG-FILE
preview_matches_mocks() {
  STACK="engine-$1"
  # the lab's known_hosts exists only once the lab ran: pin a throwaway key for each address instead
  grep -Eo 'address: [0-9.]+' "$2" | awk -v key="$(cut -d' ' -f1,2 "$WORK/id_ed25519.pub")" '{print $2, key}' >"$WORK/known_hosts"
  sed -e "s#privateKeyFile: [^,}]*#privateKeyFile: $WORK/id_ed25519#" \
    -e "s#knownHostsFile: [^,}]*#knownHostsFile: $WORK/known_hosts#" \
    -e "s#source: local#source: release#" -e "/^    dir: /d" -e "s#, dir: [^,}]*##" \
    "$2" > "$REPO/Pulumi.$STACK.yaml"
  pulumi stack init "$STACK" --non-interactive >/dev/null
  local start=$SECONDS status=0
  pulumi preview --json --stack "$STACK" --non-interactive > "$WORK/preview.json" 2> "$WORK/preview.err" || { cat "$WORK/preview.err"; return 1; }
  say "preview of $1 took $((SECONDS - start)) s"
  npx --no-install ts-node --transpile-only test/engine/expected-counts.ts "Pulumi.$STACK.yaml" > "$WORK/expected.json"
  node - "$WORK/preview.json" "$WORK/expected.json" > "$WORK/compare-$1.txt" <<'JS' || status=$?
const fs = require("fs");
const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const expected = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const actual = {};
for (const step of plan.steps || []) {
  const type = step.urn.split("::")[2].split("$").pop();
  if (type === "pulumi:pulumi:Stack") continue;
  actual[type] = (actual[type] || 0) + 1;
}
const types = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
let same = true;
for (const t of types) {
  const a = actual[t] || 0, e = expected[t] || 0;
  if (a !== e) same = false;
  console.log(`${a === e ? "  " : "!!"} ${String(a).padStart(4)} ${String(e).padStart(4)}  ${t}`);
}
console.log(`total ${Object.values(actual).reduce((x, y) => x + y, 0)} planned, ${Object.values(expected).reduce((x, y) => x + y, 0)} under mocks`);
process.exit(same ? 0 : 1);
JS
  say "$1: planned vs mocks, by type:"
  sed 's/^/    /' "$WORK/compare-$1.txt"
  pulumi stack rm "$STACK" --yes --force --non-interactive >/dev/null 2>&1 || true
  rm -f "$REPO/Pulumi.$STACK.yaml"
  STACK=""
  return "$status"
}

# a private key pasted into the stack file in plain text: refused, with the fix, before anything runs
plain_key_refused() {
  STACK="engine-plainkey"
  # (the key goes right under `config:`: the stack file ends with its top-level encryptionsalt)
  grep -v "privateKeyFile" Pulumi.dev.yaml |
    sed 's/^config:$/&\n  kubeadm-ha:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY----- not-a-real-key"/' > "$REPO/Pulumi.$STACK.yaml"
  pulumi stack init "$STACK" --non-interactive >/dev/null
  local status=0
  if pulumi preview --stack "$STACK" --non-interactive > "$WORK/plainkey.log" 2>&1; then status=1; fi
  grep -q "sshPrivateKey: is stored in plain text" "$WORK/plainkey.log" || status=1
  grep -q "pulumi config set --secret kubeadm-ha:sshPrivateKey" "$WORK/plainkey.log" || status=1
  ! grep -q "not-a-real-key" "$WORK/plainkey.log" || status=1
  [[ $status == 0 ]] || cat "$WORK/plainkey.log"
  pulumi stack rm "$STACK" --yes --force --non-interactive >/dev/null 2>&1 || true
  rm -f "$REPO/Pulumi.$STACK.yaml"
  STACK=""
  return "$status"
}
check "a plain-text sshPrivateKey in the stack file is refused with the --secret fix (value not echoed)" plain_key_refused

check "dev stack: the real engine plans exactly what the mocks record, type by type" preview_matches_mocks dev Pulumi.dev.yaml
check "dev: etcd, PKI and host-prep components planned" grep -q "kubeadm-ha:etcd:EtcdCluster" "$WORK/compare-dev.txt"
check "dev: certificates from the tls provider" grep -q "tls:index/locallySignedCert:LocallySignedCert" "$WORK/compare-dev.txt"
k8s_version="$(node -p "require('$REPO/node_modules/@pulumi/kubernetes/package.json').version")"
if [[ ! -x "$PULUMI_HOME/plugins/resource-kubernetes-v$k8s_version/pulumi-resource-kubernetes" ]]; then
  say "SKIP: full Kubernetes topology needs the kubernetes plugin v$k8s_version (dev/engine/toolchain.sh)"
  engine_finish
  exit 0
fi
check "full Kubernetes topology: the real engine plans exactly what the mocks record" preview_matches_mocks k8s test/e2e/stacks/e2e-k8s.yaml
for component in controlPlane:ControlPlane workers:Workers apiserverProxy:ApiserverProxy cni:Cni serviceLoadBalancer:ServiceLoadBalancer; do
  check "k8s: kubeadm-ha:$component planned" grep -q "kubeadm-ha:$component" "$WORK/compare-k8s.txt"
done
engine_finish
