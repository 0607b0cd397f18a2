#!/usr/bin/env bash
# Quick self-check of the built tls provider plugin (dev/engine/build-tls.sh):
#   1. `pulumi-resource-tls --version` prints 5.6.1;
#   2. started with no engine address, the plugin prints its gRPC port;
#   3. when our Pulumi CLI exists (toolchain/cli-*/pulumi), `pulumi package
#      get-schema` on the plugin returns a schema with name tls, version 5.6.1,
#      the four resource tokens and the two function tokens the npm SDK uses,
#      and the private key / PEM outputs marked secret;
#   4. with KHA_TLS_E2E=1 and the Node language host beside the CLI: `pulumi up`
#      of a small Node program using @pulumi/tls from the repo's node_modules
#      (file backend in a temp dir): CA key + self-signed CA, RSA key + CSR +
#      locally signed cert, ED25519 key, getPublicKey/getCertificate; then checks
#      private keys are encrypted in the state, the chain verifies (openssl),
#      a second preview has no changes, and earlyRenewalHours > validity plans
#      a replacement (readyForRenewal).
# Usage: [KHA_TLS_E2E=1] dev/engine/tls-provider/test.sh [path/to/pulumi-resource-tls]
set -euo pipefail

cache="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
bin="${1:-$cache/toolchain/tls-5.6.1/pulumi-resource-tls}"
passed=0
failed=0
ok() { printf 'ok   %s\n' "$*"; passed=$((passed + 1)); }
bad() { printf 'FAIL %s\n' "$*"; failed=$((failed + 1)); }

[[ -x "$bin" ]] || { echo "no plugin at $bin (run dev/engine/build-tls.sh)" >&2; exit 1; }
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

# 4. end to end through the engine (opt-in: a few seconds, needs the language host)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
if [[ "${KHA_TLS_E2E:-0}" != 1 ]]; then
  echo "skip e2e: set KHA_TLS_E2E=1"
elif [[ -z "$pulumi" || ! -x "$(dirname "$pulumi")/../bin/pulumi-language-nodejs" || ! -d "$repo/node_modules/@pulumi/tls" ]]; then
  echo "skip e2e: needs the CLI, toolchain/bin/pulumi-language-nodejs and $repo/node_modules/@pulumi/tls"
else
  prog="$tmp/prog"
  mkdir -p "$prog" "$tmp/state"
  ln -s "$repo/node_modules" "$prog/node_modules"
  printf '%s\n' 'name: tls-selfcheck' 'runtime: nodejs' 'plugins:' '  providers:' '    - name: tls' \
    "      path: $(dirname "$bin")" >"$prog/Pulumi.yaml"
  printf '{"name":"tls-selfcheck","main":"index.js"}\n' >"$prog/package.json"
  cat >"$prog/index.js" <<'JS'
const pulumi = require("@pulumi/pulumi");
const tls = require("@pulumi/tls");
const cfg = new pulumi.Config();
const caKey = new tls.PrivateKey("ca", { algorithm: "ECDSA", ecdsaCurve: "P256" });
const ca = new tls.SelfSignedCert("ca", {
  privateKeyPem: caKey.privateKeyPem, isCaCertificate: true, validityPeriodHours: 24, earlyRenewalHours: 1,
  allowedUses: ["cert_signing", "digital_signature"], subject: { commonName: "selfcheck-ca" }, setSubjectKeyId: true,
});
const key = new tls.PrivateKey("leaf", { algorithm: "RSA", rsaBits: 2048 });
const csr = new tls.CertRequest("leaf", {
  privateKeyPem: key.privateKeyPem, dnsNames: ["a.example"], ipAddresses: ["10.0.0.1"], subject: { commonName: "leaf" },
});
const leaf = new tls.LocallySignedCert("leaf", {
  certRequestPem: csr.certRequestPem, caPrivateKeyPem: caKey.privateKeyPem, caCertPem: ca.certPem,
  validityPeriodHours: 12, earlyRenewalHours: cfg.getNumber("early") || 0, allowedUses: ["server_auth"],
});
const ed = new tls.PrivateKey("ed", { algorithm: "ED25519" });
exports.ca = ca.certPem;
exports.leaf = leaf.certPem;
exports.ssh = ed.publicKeyOpenssh;
exports.pub = tls.getPublicKeyOutput({ privateKeyPem: key.privateKeyPem }).publicKeyFingerprintSha256;
exports.cn = tls.getCertificateOutput({ content: ca.certPem }).certificates.apply((c) => c[0].subject);
JS
  e2e() {
    (cd "$prog" && PULUMI_HOME="$tmp/home" PULUMI_BACKEND_URL="file://$tmp/state" PULUMI_CONFIG_PASSPHRASE=selfcheck \
      PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
      PATH="$(dirname "$pulumi"):$(dirname "$pulumi")/../bin:$PATH" "$pulumi" "$@")
  }
  if e2e stack init selfcheck >"$tmp/e2e.log" 2>&1 && e2e up --yes --skip-preview >>"$tmp/e2e.log" 2>&1; then
    ok "pulumi up created the 6 tls resources and 2 invokes"
    state=$(find "$tmp/state" -name 'selfcheck.json' -path '*stacks*' | head -n1)
    if [[ -n "$state" ]] && ! grep -q 'PRIVATE KEY' "$state" && grep -q '4dabf18193072939515e22adb298388d' "$state"; then
      ok "state holds private keys only as secrets"
    else
      bad "private key material in plain text in the state (or no state at '$state')"
    fi
    if command -v openssl >/dev/null; then
      e2e stack output ca >"$tmp/ca.pem" 2>>"$tmp/e2e.log"
      e2e stack output leaf >"$tmp/leaf.pem" 2>>"$tmp/e2e.log"
      if openssl verify -CAfile "$tmp/ca.pem" "$tmp/leaf.pem" >>"$tmp/e2e.log" 2>&1; then
        ok "leaf certificate verifies against the CA"
      else
        bad "openssl verify failed"
      fi
    fi
    if e2e preview --expect-no-changes >>"$tmp/e2e.log" 2>&1; then ok "second preview: no changes"; else bad "second preview shows changes"; fi
    e2e config set early 13 >>"$tmp/e2e.log" 2>&1
    if e2e preview --diff >"$tmp/renew.log" 2>&1 && grep -q 'readyForRenewal *: false => true' "$tmp/renew.log" &&
      grep -q '+-1 to replace' "$tmp/renew.log"; then
      ok "earlyRenewalHours beyond the validity plans a replacement"
    else
      bad "no renewal replacement planned: $(tail -n 5 "$tmp/renew.log")"
    fi
    e2e destroy --yes --skip-preview >>"$tmp/e2e.log" 2>&1 || bad "pulumi destroy failed"
  else
    bad "pulumi up failed: $(tail -n 20 "$tmp/e2e.log")"
  fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
