#!/usr/bin/env bash
# The whole test run (README's test command; .ci/run calls it after installing packages and
# node modules). Each stage runs even when an earlier one failed; the last line is the tally.
#
#   bash test/all.sh            every stage but the opt-in day2 and conformance
#   KHA_STAGES="unit scripts" bash test/all.sh   only those stages
#
# Stages: types (tsc), lint (ESLint + Prettier), shellcheck, unit (jest: config, providers, components, rendering, host
# scripts, package), toolchain (builds or reuses the offline Pulumi engine from upstream sources),
# providers (the tls bridge's self-check), engine (real pulumi runs: smoke, tls, the dev stack's
# preview, upstream's command plugin over SSH, upstream's kubernetes plugin on a real apiserver),
# lab (real hosts in a private network namespace), e2e (real clusters in the lab) and, opt-in, day2
# (the day-2 drills: interrupted runs, backups, renewal, rolling upgrade).
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
# The project's Node.js and the offline engine on PATH (dev/engine/install-deps.sh installs the former).
# shellcheck source=dev/engine/env.sh
source dev/engine/env.sh
if [[ "$(node --version)" != "v$KHA_NODE_VERSION" ]]; then
  echo "Node.js v$KHA_NODE_VERSION is not installed: run bash dev/engine/install-deps.sh" >&2
  exit 1
fi

stages=${KHA_STAGES:-"types lint shellcheck unit toolchain providers engine lab e2e"}
passed=0
failed=0
failures=()

run_stage() {
  local name=$1
  shift
  [[ " $stages " == *" $name "* ]] || return 0
  echo
  echo "=== stage $name: $*"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== stage $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "=== stage $name: FAILED ($((SECONDS - start)) s)"
  fi
}

shellcheck_all() {
  # (test fixtures that are data, not scripts, are left out)
  git ls-files '*.sh' ':!:test/engine/fixtures/command/files/**' | xargs shellcheck -x
}

run_each() {
  local status=0 script
  for script in "$@"; do
    if [[ -f "$script" ]]; then
      echo "--- $script"
      bash "$script" || status=1
    fi
  done
  return $status
}

run_stage types npx --no-install tsc --noEmit
run_stage lint npm run --silent lint
run_stage shellcheck shellcheck_all
run_stage unit npx --no-install jest --ci
run_stage toolchain bash dev/engine/toolchain.sh
run_stage providers run_each dev/engine/tls-provider/test.sh
run_stage engine run_each test/engine/smoke.test.sh test/engine/tls-roundtrip.test.sh test/engine/dev-preview.test.sh \
  test/engine/command.test.sh test/engine/kubernetes.test.sh
run_stage lab run_each test/lab/lab.test.sh test/lab/artifacts.test.sh
run_stage e2e run_each test/e2e/etcd.test.sh test/e2e/kubernetes.test.sh test/e2e/membership.test.sh \
  test/e2e/controlplanes.test.sh
# opt-in (KHA_STAGES=day2, or add it to the list): interrupted runs, snapshot and restore, renewal,
# and the rolling upgrade (which builds a second Kubernetes version); about 20 minutes warm
run_stage day2 run_each test/e2e/daytwo.test.sh test/e2e/upgrade.test.sh
# opt-in (KHA_STAGES=conformance): Kubernetes' own [Conformance] tests on the dev topology
# (test/e2e/conformance.test.sh; docs/CONFORMANCE.md has its time and skip list)
run_stage conformance run_each test/e2e/conformance.test.sh

echo
if ((failed > 0)); then echo "failed stages: ${failures[*]}"; fi
echo "stages: $passed passed, $failed failed"
((failed == 0))
