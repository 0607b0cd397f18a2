# shellcheck shell=bash
# Shared setup for the engine tests (test/engine/*.test.sh). Source it after
# `set -euo pipefail`; it defines:
#   engine_require_toolchain        exit 1 unless pulumi + language host exist
#   engine_skip_unless_plugin NAME  exit 0 with "SKIP: ..." if the provider
#                                   plugin NAME is not installed
#   engine_stage_fixture NAME       copy fixtures/NAME to a temp dir (cd there),
#                                   link the repo's node_modules, and point
#                                   PULUMI_BACKEND_URL at a fresh state dir
#   ENGINE_CLEANUPS+=(FUNCTION)     run FUNCTION on exit, before the work dir goes
#                                   (stop what the test started, by PID)
#   check DESCRIPTION CMD...        run CMD, print ok/FAIL, count failures
#   engine_finish                   print the summary, exit 1 on any failure

ENGINE_TEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$ENGINE_TEST_DIR/../.." && pwd)"
# shellcheck source=dev/engine/env.sh
source "$REPO/dev/engine/env.sh"

ENGINE_FAILURES=0
ENGINE_CLEANUPS=()
ENGINE_NAME="$(basename "$0" .test.sh)"

say() { printf '[%s] %s\n' "$ENGINE_NAME" "$*"; }

engine_require_toolchain() {
  local missing=()
  command -v pulumi >/dev/null || missing+=(pulumi)
  command -v pulumi-language-nodejs >/dev/null || missing+=(pulumi-language-nodejs)
  command -v node >/dev/null || missing+=(node)
  if ((${#missing[@]})); then
    say "FAIL: missing ${missing[*]} (run dev/engine/toolchain.sh first)"
    exit 1
  fi
  if [[ ! -d "$REPO/node_modules/@pulumi/pulumi" ]]; then
    say "FAIL: $REPO/node_modules is not installed (npm ci --ignore-scripts)"
    exit 1
  fi
}

# The plugin version is the one node_modules/@pulumi/NAME asks for.
engine_skip_unless_plugin() {
  local name="$1" version
  version="$(node -p "const p=require('$REPO/node_modules/@pulumi/$name/package.json'); (p.pulumi&&p.pulumi.version)||p.version")"
  if [[ ! -x "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name" ]]; then
    say "SKIP: provider plugin resource-$name-v$version is not installed in $PULUMI_HOME (dev/engine/toolchain.sh builds it once dev/engine/build-$name.sh exists)"
    exit 0
  fi
}

engine_stage_fixture() {
  ENGINE_WORK="$(mktemp -d "${TMPDIR:-/tmp}/kha-engine-$1.XXXXXX")"
  # Keep the work dir on failure for inspection; remove it on success.
  trap 'engine_cleanup $?' EXIT
  cp -r "$ENGINE_TEST_DIR/fixtures/$1" "$ENGINE_WORK/project"
  ln -s "$REPO/node_modules" "$ENGINE_WORK/project/node_modules"
  kha_backend "$ENGINE_WORK/state"
  cd "$ENGINE_WORK/project" || exit 1
}

engine_cleanup() {
  local f
  for f in "${ENGINE_CLEANUPS[@]}"; do "$f" || true; done
  if [[ $1 == 0 && $ENGINE_FAILURES == 0 ]]; then
    rm -rf "$ENGINE_WORK"
  else
    say "kept $ENGINE_WORK for inspection"
  fi
}

check() {
  local what="$1"
  shift
  if "$@"; then
    say "ok   - $what"
  else
    say "FAIL - $what"
    ENGINE_FAILURES=$((ENGINE_FAILURES + 1))
  fi
}

engine_finish() {
  if ((ENGINE_FAILURES)); then
    say "$ENGINE_FAILURES check(s) failed"
    exit 1
  fi
  say "PASS"
}
