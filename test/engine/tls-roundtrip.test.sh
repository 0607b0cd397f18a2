#!/usr/bin/env bash
# Engine + tls provider round trip: `pulumi up` of a tls.PrivateKey and a
# tls.SelfSignedCert (fixtures/tls-roundtrip), read the outputs back, check the
# certificate and key with openssl, then destroy and remove the stack.
#
#   test/engine/tls-roundtrip.test.sh
#
# Exits 0 with "SKIP: ..." only when the tls plugin is not installed yet
# (dev/engine/toolchain.sh installs it once dev/engine/build-tls.sh exists). A missing
# CLI or language host is a failure.
set -euo pipefail
# shellcheck source=test/engine/lib.sh
source "$(dirname "$0")/lib.sh"

engine_require_toolchain
engine_skip_unless_plugin tls
command -v openssl >/dev/null || { say "FAIL: openssl is not installed"; exit 1; }
engine_stage_fixture tls-roundtrip
say "pulumi $(pulumi version), host $(pulumi-language-nodejs -version), state $PULUMI_BACKEND_URL"

pulumi stack init dev --non-interactive

pulumi up --yes --non-interactive --skip-preview >up.log 2>&1 || { cat up.log; exit 1; }
check "up created the private key" grep -Eq "tls:index:PrivateKey +ca +created" up.log
check "up created the certificate" grep -Eq "tls:index:SelfSignedCert +ca +created" up.log

pulumi stack output certPem >cert.pem
pulumi stack output --show-secrets privateKeyPem >key.pem
chmod 600 key.pem

openssl x509 -in cert.pem -noout -subject -dates -ext basicConstraints | tee x509.txt
cert_pubkey() { openssl x509 -in cert.pem -noout -pubkey; }
key_pubkey() { openssl pkey -in key.pem -pubout; }
not_after_in_future() { openssl x509 -in cert.pem -noout -checkend 3600 >/dev/null; }
lifetime_hours() {
  local nb na
  nb="$(date -d "$(openssl x509 -in cert.pem -noout -startdate | cut -d= -f2)" +%s)"
  na="$(date -d "$(openssl x509 -in cert.pem -noout -enddate | cut -d= -f2)" +%s)"
  echo $(((na - nb) / 3600))
}
masked() { test "$(pulumi stack output privateKeyPem)" = "[secret]"; }
key_not_in_state() { ! grep -rq "BEGIN EC PRIVATE KEY\|BEGIN PRIVATE KEY" "${PULUMI_BACKEND_URL#file://}"; }

check "subject CN" grep -q "CN *= *kha-roundtrip-ca" x509.txt
check "subject O" grep -q "O *= *kubeadm-ha" x509.txt
check "is a CA" grep -q "CA:TRUE" x509.txt
check "valid for 24 hours" test "$(lifetime_hours)" = 24
check "still valid in an hour" not_after_in_future
check "self-signed (verifies against itself)" openssl verify -CAfile cert.pem cert.pem
check "certificate matches the private key" test "$(cert_pubkey)" = "$(key_pubkey)"
check "key is ECDSA P-256" bash -c "openssl pkey -in key.pem -noout -text | grep -q 'prime256v1\|P-256'"
check "private key output is masked without --show-secrets" masked
check "private key is encrypted in the state" key_not_in_state

pulumi up --yes --non-interactive --skip-preview >up2.log 2>&1 || { cat up2.log; exit 1; }
check "second up changes nothing" grep -Eq "[0-9]+ unchanged" up2.log

pulumi destroy --yes --non-interactive --skip-preview >destroy.log 2>&1 || { cat destroy.log; exit 1; }
check "destroy deleted the certificate" grep -Eq "tls:index:SelfSignedCert +ca +deleted" destroy.log
check "destroy deleted the private key" grep -Eq "tls:index:PrivateKey +ca +deleted" destroy.log
pulumi stack rm --yes --non-interactive dev

engine_finish
