#!/usr/bin/env bash
# Issue 18: Kubernetes' own conformance tests against a cluster this program made on the lab
# (3 control planes with stacked etcd + 2 workers, the lab CNI; KHA_CONFORMANCE_STACK=e2e-conf-external
# for the external-etcd variant). Opt-in stage (test/all.sh: KHA_STAGES=conformance): its time does
# not fit CI's budget beside the other stages.
#   1. the suite and its images (dev/lab/artifacts/conformance.sh: e2e.test, ginkgo, agnhost ...,
#      built from the k8s.io/kubernetes module of the version the lab runs, cached)
#   2. `pulumi up` from bare hosts; every test image imported and pinned on every node (the tests'
#      IfNotPresent pulls find them: nothing is pulled from a registry)
#   3. the [Conformance] tests (the suite's Conformance label): first everything but [Serial] in parallel (KHA_CONFORMANCE_PROCS,
#      default 4), then the [Serial] ones one at a time; JUnit reports in
#      dev/lab/.work/conformance/<stack>/; each pass bounded (KHA_CONFORMANCE_TIMEOUT, default 3h)
#   4. passed / failed / skipped of the [Conformance] set, and the skip list with its reasons
# KHA_CONFORMANCE_FOCUS narrows the run to the tests whose names match a regular expression (a
# re-run of what failed).
# KHA_CONFORMANCE_PASSES (default "parallel serial") runs one pass alone.
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/lib.sh"

STACK="${KHA_CONFORMANCE_STACK:-e2e-conf}"
PROCS="${KHA_CONFORMANCE_PROCS:-4}"
SUITE_TIMEOUT="${KHA_CONFORMANCE_TIMEOUT:-3h}"
FOCUS="${KHA_CONFORMANCE_FOCUS:-}"
PASSES="${KHA_CONFORMANCE_PASSES:-parallel serial}"
REPORTS="$REPO/dev/lab/.work/conformance/$STACK"

# Tests that cannot pass in the lab for a reason outside the product, each with its reason. One
# regular expression per entry, matched against the full test name. (Empty: every [Conformance]
# test runs.)
SKIPS=(
  # "Kubelet when scheduling a read only busybox container should not write to root filesystem"
  # compares the shell's error message with busybox ash's ("/bin/sh: can't create /file: Read-only
  # file system"). The lab builds the busybox image from Debian packages (conformance-images.sh: no
  # registry), and its sh is bash: Debian's ash drops environment variables whose names a shell
  # cannot hold (data-1), which upstream's busybox passes on and ConfigMap and Secret tests
  # read through `sh -c env`. bash refuses the write too ("/bin/sh: line 1: /file: Read-only file
  # system"): the image's wording, not the product, differs.
  'read only busybox container should not write to root filesystem'
)

e2e_require_engine
e2e_kubernetes

build_suite() { bash "$REPO/dev/lab/artifacts/conformance.sh" >"$WORK/conformance-dir"; }
timed "conformance suite and images (build or reuse)" build_suite
CONF_DIR="$(tail -n 1 "$WORK/conformance-dir")"
[[ -x "$CONF_DIR/bin/e2e.test" && -x "$CONF_DIR/bin/ginkgo" ]] || { say "FAIL: no suite in $CONF_DIR"; exit 1; }

# the stack's hosts, from its file (kha-node-1 .. N: the lab boots the first N)
mapfile -t hosts < <(grep -Eo 'name: kha-node-[0-9]+' "$E2E_DIR/stacks/$STACK.yaml" | cut -d' ' -f2)
timed "lab boot (${#hosts[@]} hosts)" bash "$LAB" up "${#hosts[@]}" >/dev/null

e2e_stack "$STACK"
timed "pulumi up from bare hosts" pl up --yes --skip-preview >"$E2E_STATE/conf-up.log" 2>&1 || { failed_run "$E2E_STATE/conf-up.log"; exit 1; }
(cd "$REPO" && pulumi stack output kubeconfig --show-secrets --stack "$E2E_STACK") >"$WORK/admin.conf"
check "kubeconfig output reaches the API" k get --raw /readyz

# every test image on every node (copied into its root, imported there), labelled pinned like the
# product's own (containerd 1.7+ keeps them from the kubelet's image GC; on the lab's Debian
# containerd 1.6 the stacks' kubelet marks do)
import_images() {
  local host=$1 dir="/var/tmp/kha-conformance-images" root="$REPO/dev/lab/.work/hosts/$1/root"
  install -d "$root$dir"
  cp "$CONF_DIR"/images/*.tar "$root$dir/"
  on_host "$host" "set -e; for t in $dir/*.tar; do ctr -n k8s.io images import \"\$t\" >/dev/null; done
    ctr -n k8s.io images ls -q | grep -E '^registry.k8s.io/(e2e-test-images/|etcd:)' |
      while read -r ref; do ctr -n k8s.io images label \"\$ref\" io.cri-containerd.pinned=pinned >/dev/null; done
    rm -rf $dir"
}
import_all() {
  local host pids=() status=0
  for host in "${hosts[@]}"; do import_images "$host" & pids+=($!); done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  return $status
}
timed "test images imported on ${#hosts[@]} nodes" import_all
images_on() { [[ "$(on_host "$1" "ctr -n k8s.io images ls -q | grep -cE '^registry.k8s.io/(e2e-test-images/|etcd:)'")" -ge 10 ]]; }
for host in "${hosts[@]}"; do check "the test images are on $host" images_on "$host"; done

# ginkgo and the suite run in the lab's namespace (the API's addresses are the hosts' 10.77.0.x)
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
skip_re() { local IFS='|'; echo "${SKIPS[*]}"; }
# suite PASS-NAME PROCS LABEL-FILTER: one ginkgo run of the tests the label filter selects (the
# suite labels each test Conformance, Serial, Disruptive ...), narrowed by KHA_CONFORMANCE_FOCUS,
# less the skip list
suite() {
  local name=$1 procs=$2 labels=$3 skips
  skips=$(skip_re)
  local -a args=(--procs="$procs" --timeout="$SUITE_TIMEOUT" --no-color --label-filter="$labels")
  [[ -z "$FOCUS" ]] || args+=(--focus="$FOCUS")
  [[ -z "$skips" ]] || args+=(--skip="$skips")
  args+=(--junit-report="junit_$name.xml" --output-dir="$REPORTS" "$CONF_DIR/bin/e2e.test" --
    --provider=skeleton --kubeconfig="$WORK/admin.conf" --kubectl-path="$KUBECTL" --report-dir="$REPORTS"
    --disable-log-dump --non-blocking-taints=node-role.kubernetes.io/control-plane -v=2)
  "$LAB" exec "$CONF_DIR/bin/ginkgo" "${args[@]}" >"$REPORTS/$name.log" 2>&1
}
if [[ " $PASSES " == *" parallel "* ]]; then
  timed "conformance, parallel pass ($PROCS processes)" suite parallel "$PROCS" 'Conformance && !Serial && !Disruptive' || true
fi
if [[ " $PASSES " == *" serial "* ]]; then
  timed "conformance, [Serial] pass" suite serial 1 'Conformance && Serial' || true
fi

# the tally, from the JUnit reports: a spec that ran is passed or failed; [Conformance] specs a
# pass left out (the other pass's, or the skip list's) count once, as that pass reports them
tally() {
  # shellcheck disable=SC2016 # (JavaScript's template literals, not shell expansions)
  node -e '
    const fs = require("fs");
    const seen = new Map();
    for (const f of process.argv.slice(1)) {
      if (!fs.existsSync(f)) continue;
      const xml = fs.readFileSync(f, "utf8");
      for (const m of xml.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
        const name = m[1].replace(/&#34;/g, "\"").replace(/&amp;/g, "&").replace(/&#39;/g, "\x27");
        if (!name.includes("[Conformance]")) continue;
        const body = m[3] || "";
        const status = (/ status="([a-z]+)"/.exec(m[0]) || [])[1];
        const state =
          status === "passed" ? "passed"
          : status === "skipped" || status === "pending" ? "skipped"
          : status ? "failed"
          : /<failure|<error/.test(body) ? "failed" : /<skipped/.test(body) ? "skipped" : "passed";
        const prev = seen.get(name);
        if (!prev || prev === "skipped") seen.set(name, state);
      }
    }
    const count = (s) => [...seen.values()].filter((v) => v === s).length;
    console.log(`${seen.size} ${count("passed")} ${count("failed")} ${count("skipped")}`);
    for (const [n, s] of seen) if (s === "failed") console.error("failed: " + n);
  ' "$REPORTS/junit_parallel.xml" "$REPORTS/junit_serial.xml"
}
read -r total passed failed skipped < <(tally 2>"$REPORTS/failed.txt")
say "[Conformance] tests: $total in the reports: $passed passed, $failed failed, $skipped skipped (reports: $REPORTS)"
sed 's/^/    /' "$REPORTS/failed.txt"
say "skip list (${#SKIPS[@]} entries)"
for s in "${SKIPS[@]}"; do say "  $s"; done
check "every [Conformance] test ran or is on the skip list, and none failed" test "$failed" -eq 0 -a "$passed" -gt 0
[[ -n "$FOCUS" || "$PASSES" != "parallel serial" ]] || check "the reports list the whole set (424 for v1.34)" test "$total" -ge 424

timed "pulumi destroy" pl destroy --yes --skip-preview >"$E2E_STATE/conf-destroy.log" 2>&1 || { failed_run "$E2E_STATE/conf-destroy.log"; exit 1; }
e2e_finish
