#!/usr/bin/env bash
# Quick self-check of the built tls provider plugin (tools/build-tls.sh):
#   1. `pulumi-resource-tls --version` prints 5.6.1;
#   2. started with no engine address, the plugin prints its gRPC port;
#   3. when our Pulumi CLI exists (toolchain/cli-*/pulumi), `pulumi package
#      get-schema` on the plugin returns a schema with name tls, version 5.6.1,
#      the four resource tokens and the two function tokens the npm SDK uses,
#      and the private key / PEM outputs marked secret.
# Usage: tools/tls-provider/test.sh [path/to/pulumi-resource-tls]
set -euo pipefail

cache="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
bin="${1:-$cache/toolchain/tls-5.6.1/pulumi-resource-tls}"
passed=0
failed=0
ok() { printf 'ok   %s\n' "$*"; passed=$((passed + 1)); }
bad() { printf 'FAIL %s\n' "$*"; failed=$((failed + 1)); }

[[ -x "$bin" ]] || { echo "no plugin at $bin (run tools/build-tls.sh)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kha-tls-test.XXXXXX")
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# 1. version
v=$("$bin" --version 2>&1 || true)
if [[ "$v" == "5.6.1" ]]; then ok "--version is 5.6.1"; else bad "--version printed '$v'"; fi

# 2. port
"$bin" >"$tmp/port" 2>"$tmp/stderr" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(head -n1 "$tmp/port" 2>/dev/null | tr -d '[:space:]')
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)); then
  ok "plugin printed port $port"
else
  bad "plugin printed no port (stdout '$port'; stderr: $(head -c 500 "$tmp/stderr"))"
fi
kill -INT "$pid" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  bad "plugin still running 5s after SIGINT"
  kill "$pid" 2>/dev/null || true
else
  ok "plugin stopped on SIGINT"
fi
pid=""

# 3. schema through the Pulumi CLI
pulumi=""
for p in "$cache"/toolchain/cli-*/pulumi; do [[ -x "$p" ]] && pulumi="$p"; done
if [[ -z "$pulumi" ]]; then
  echo "skip schema check: no Pulumi CLI under $cache/toolchain/cli-*/"
else
  if PULUMI_HOME="$tmp/home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    "$pulumi" package get-schema "$bin" >"$tmp/schema.json" 2>"$tmp/get-schema.err"; then
    ok "pulumi package get-schema ($pulumi)"
    if command -v python3 >/dev/null; then
      check=$(python3 - "$tmp/schema.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
problems = []
if s.get("name") != "tls": problems.append("name=%r" % s.get("name"))
if s.get("version") != "5.6.1": problems.append("version=%r" % s.get("version"))
for t in ["tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert",
          "tls:index/locallySignedCert:LocallySignedCert", "tls:index/certRequest:CertRequest"]:
    if t not in s.get("resources", {}): problems.append("missing resource " + t)
for t in ["tls:index/getPublicKey:getPublicKey", "tls:index/getCertificate:getCertificate"]:
    if t not in s.get("functions", {}): problems.append("missing function " + t)
pk = s.get("resources", {}).get("tls:index/privateKey:PrivateKey", {})
for p in ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"]:
    if not pk.get("properties", {}).get(p, {}).get("secret"): problems.append("PrivateKey." + p + " not secret")
for r in ["tls:index/selfSignedCert:SelfSignedCert", "tls:index/certRequest:CertRequest"]:
    ip = s.get("resources", {}).get(r, {}).get("inputProperties", {})
    if not ip.get("privateKeyPem", {}).get("secret"): problems.append(r + ".privateKeyPem input not secret")
lsc = s.get("resources", {}).get("tls:index/locallySignedCert:LocallySignedCert", {}).get("inputProperties", {})
if not lsc.get("caPrivateKeyPem", {}).get("secret"): problems.append("LocallySignedCert.caPrivateKeyPem not secret")
ssc = s.get("resources", {}).get("tls:index/selfSignedCert:SelfSignedCert", {}).get("inputProperties", {})
for p in ["validityPeriodHours", "earlyRenewalHours", "isCaCertificate", "allowedUses", "dnsNames",
          "ipAddresses", "subject", "setSubjectKeyId"]:
    if p not in ssc: problems.append("SelfSignedCert input " + p + " missing")
print("; ".join(problems))
PY
)
      if [[ -z "$check" ]]; then ok "schema: name/version, 4 resource + 2 function tokens, secrets"; else bad "schema: $check"; fi
    else
      n=0
      for tok in tls:index/privateKey:PrivateKey tls:index/selfSignedCert:SelfSignedCert \
        tls:index/locallySignedCert:LocallySignedCert tls:index/certRequest:CertRequest; do
        grep -q "\"$tok\"" "$tmp/schema.json" && n=$((n + 1))
      done
      if ((n == 4)); then ok "schema has the 4 resource tokens"; else bad "schema has $n of 4 resource tokens"; fi
    fi
  else
    bad "pulumi package get-schema failed: $(head -c 800 "$tmp/get-schema.err")"
  fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
