#!/usr/bin/env bash
# Engine smoke test: the offline-built pulumi CLI + upstream's Node.js language host
# run a TypeScript program on a file backend, with no built provider plugin
# (a component resource and a dynamic resource): stack init, config (plain
# and secret), preview, up, outputs, a no-op second up, destroy, a program
# that throws, stack rm.
# Needs only dev/engine/toolchain.sh to have run.
#
#   test/engine/smoke.test.sh
set -euo pipefail
# shellcheck source=test/engine/lib.sh
source "$(dirname "$0")/lib.sh"

engine_require_toolchain
engine_stage_fixture smoke
say "pulumi $(pulumi version), host $(pulumi-language-nodejs -version), state $PULUMI_BACKEND_URL"

pulumi stack init dev --non-interactive
pulumi config set who world
pulumi config set --secret token s3cr3t-value

pulumi preview --non-interactive --diff >preview.log 2>&1 || { cat preview.log; exit 1; }
check "preview plans the component" grep -q "kha:test:Greeting" preview.log

pulumi up --yes --non-interactive --skip-preview >up.log 2>&1 || { cat up.log; exit 1; }
# Components are reported as "creating" only; count them in the summary.
check "up registered the component" grep -Eq "kha:test:Greeting +greeting +creating" up.log
check "up created stack + component + dynamic resource" grep -Eq "\+ 3 created" up.log
check "up created the dynamic resource" grep -Eq "pulumi-nodejs:dynamic:Resource +note +created" up.log

out() { pulumi stack output "$@"; }
state_has_component() { pulumi stack export | grep -q '"type": "kha:test:Greeting"'; }
state_lacks_plaintext() { ! grep -rq "s3cr3t-value" "${PULUMI_BACKEND_URL#file://}"; }
resource_count() {
  pulumi stack export | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () =>
      console.log((JSON.parse(s).deployment.resources || []).length));'
}
stack_gone() { ! pulumi stack ls --json | grep -q '"name": "dev"'; }
check "output message" test "$(out message)" = "hello, world"
check "output stack" test "$(out stack)" = "dev"
check "dynamic resource output" test "$(out noteLength)" = 12
check "secret output is masked" test "$(out token)" = "[secret]"
check "secret output with --show-secrets" test "$(out token --show-secrets)" = "s3cr3t-value"
check "program saw the config as secret" test "$(out tokenIsSecret)" = "true"
check "state holds the component" state_has_component
check "secret is encrypted in the state" state_lacks_plaintext

pulumi up --yes --non-interactive --skip-preview >up2.log 2>&1 || { cat up2.log; exit 1; }
check "second up changes nothing" grep -Eq "[0-9]+ unchanged" up2.log

pulumi destroy --yes --non-interactive --skip-preview >destroy.log 2>&1 || { cat destroy.log; exit 1; }
check "destroy deleted all 3 resources" grep -Eq -- "- 3 deleted" destroy.log
check "destroy deleted the dynamic resource" grep -Eq "pulumi-nodejs:dynamic:Resource +note +deleted" destroy.log
check "no resources left" test "$(resource_count)" = 0
# Error path: a throwing program fails the command and shows its message.
pulumi config set fail true
fails_with_message() {
  ! pulumi preview --non-interactive >fail.log 2>&1 && grep -q "kha-smoke: failing on purpose" fail.log
}
check "a failing program fails preview with its message" fails_with_message
pulumi config rm fail

pulumi stack rm --yes --non-interactive dev
check "stack removed" stack_gone

engine_finish
