#!/usr/bin/env bash
# The lab benchmark: kubeadm-ha's `pulumi up` against a plain kubeadm script (kubeadm-baseline.sh)
# on the same lab hosts with the same local artifacts, 3 control planes + 2 workers, each from bare
# hosts (every host's disk thrown away and booted fresh before every run) to every node Ready,
# alternating, KHA_BENCH_ROUNDS rounds (default 3). Then, on the last round's cluster once it
# settled (KHA_BENCH_SETTLE, 60 s): a no-op `pulumi up` (time, and SSH logins counted in every
# host's sshd journal), adding one worker, and `pulumi destroy`. With KHA_BENCH_SCALE=true
# (default), also 3 control planes + 10 workers from bare hosts, by the plain script and by
# kubeadm-ha. Every run from bare hosts also records the CPU seconds used on the lab hosts and
# outside them. Prints min/median/max of each measure, the ratios of medians, the critical path of
# the last `pulumi up` from bare hosts, and writes it all as JSON to dev/lab/.work/bench/.
# Reports figures; it fails only when a run fails.
#
#   bash test/bench/lab.sh                      (needs root; about 20 min, plus 10 for the 3 + 10 runs)
#   KHA_BENCH_ROUNDS=1 KHA_BENCH_SCALE=false bash test/bench/lab.sh
#   KHA_BENCH_ROUNDS=0 bash test/bench/lab.sh   (the scale run alone)
# 13 hosts need more inotify instances than the kernel's default 128 per user: dev/lab/lab.sh up
# raises fs.inotify.max_user_instances for them (and lab.sh down puts it back).
set -euo pipefail
# shellcheck source=test/e2e/lib.sh
source "$(dirname "$0")/../e2e/lib.sh"
E2E_NAME=bench
BENCH_DIR="$REPO/test/bench"
OUT_DIR="$REPO/dev/lab/.work/bench"
ROUNDS=${KHA_BENCH_ROUNDS:-3}
SCALE=${KHA_BENCH_SCALE:-true}
READY_TRIES=600 # x 1 s (the baseline script polls every second too)

e2e_require_engine
e2e_kubernetes
# as bash dev/lab/dev.sh up does: the compiled program (program.js runs it when it matches the sources)
(cd "$REPO" && { node program.js --check || npm run --silent build; })
mkdir -p "$OUT_DIR"
RESULTS="$WORK/results.tsv" # measure <tab> seconds
: >"$RESULTS"
record() { printf '%s\t%s\n' "$1" "$2" >>"$RESULTS"; }

# the baseline's etcd: an image of the etcd binary kubeadm-ha's lab stack runs (from the same artifacts)
ETCD_TAG="$(sed -n 's/^ *etcdVersion: *//p' "$REPO/Pulumi.dev.yaml")-bench"
ETCD_IMAGE="$OUT_DIR/etcd_$ETCD_TAG.tar"
bash "$BENCH_DIR/etcd-image.sh" "$ART/bin/etcd" "$ART/build/tools/ocitar" "$ETCD_IMAGE" "$ETCD_TAG"

# fresh_hosts N: every lab host's disk thrown away, N hosts booted bare
fresh_hosts() {
  bash "$LAB" purge >/dev/null
  bash "$LAB" up "$1" >/dev/null
}

addresses() { # "1 2 3" -> the hosts' addresses
  local i ids
  read -r -a ids <<<"$1"
  for i in "${ids[@]}"; do printf '10.77.0.%s ' "$((10 + i))"; done
}

# every one of N nodes Ready, seen from the first control plane
all_ready() {
  [[ $(on_host kha-node-1 "kubectl --kubeconfig /etc/kubernetes/admin.conf get nodes --no-headers 2>/dev/null" |
    awk '$2 == "Ready"' | wc -l) -eq $1 ]]
}

baseline() { # baseline CONTROL_PLANES WORKERS (host indexes)
  KHA_BENCH_CONTROL_PLANES="$(addresses "$1")" KHA_BENCH_WORKERS="$(addresses "$2")" \
    KHA_BENCH_ARTIFACTS="$ART" KHA_BENCH_ETCD_IMAGE="$ETCD_IMAGE" KHA_BENCH_ETCD_TAG="$ETCD_TAG" \
    KHA_BENCH_KUBERNETES_VERSION="$(sed -n 's/^ *kubeadm-ha:kubernetesVersion: *//p' "$REPO/Pulumi.dev.yaml")" \
    KHA_BENCH_SSH_KEY="$REPO/dev/lab/.work/ssh/id_ed25519" KHA_BENCH_KNOWN_HOSTS="$REPO/dev/lab/.work/ssh/known_hosts" \
    "$LAB" exec bash "$BENCH_DIR/kubeadm-baseline.sh"
}

# bench_stack N_WORKERS: the dev stack's config (the README's stack) with N workers, as stack `bench`
bench_stack() {
  local workers=$1 i
  E2E_STACK=bench
  # (the stack file is in the CLI's flow style, "- {name: ...}"; either spacing is matched)
  sed -e '/^    - { *name: kha-node-[45],/d' -e '/^encryptionsalt:/d' "$REPO/Pulumi.dev.yaml" >"$WORK/bench.yaml"
  for ((i = workers + 3; i >= 4; i--)); do
    local roles="[worker]"
    [[ $i == 4 ]] && roles="[worker, loadbalancer]"
    sed -i "s#^    - { *name: kha-node-3, .*#&\n    - {name: kha-node-$i, address: 10.77.0.$((10 + i)), roles: $roles}#" "$WORK/bench.yaml"
  done
  # the hosts are what was asked for, or the benchmark measures something else
  [[ $(grep -c '^    - { *name: kha-node-' "$WORK/bench.yaml") == $((3 + workers)) ]] || { say "FAIL: bench stack has not 3 + $workers hosts"; exit 1; }
  local salt
  salt=$(grep '^encryptionsalt:' "$REPO/Pulumi.bench.yaml" 2>/dev/null || true)
  cp "$WORK/bench.yaml" "$REPO/Pulumi.bench.yaml"
  if [[ -n "$salt" ]]; then echo "$salt" >>"$REPO/Pulumi.bench.yaml"; fi
  kha_backend "$E2E_STATE"
  (cd "$REPO" && { pulumi stack select bench 2>/dev/null || pulumi stack init bench --non-interactive; } >/dev/null)
}

forget_stack() { # the hosts are thrown away next: drop the state instead of destroying
  (cd "$REPO" && pulumi stack rm bench --yes --force --non-interactive >/dev/null 2>&1) || true
  rm -f "$REPO/Pulumi.bench.yaml"
  E2E_STACK=""
}

ours() { # ours N_WORKERS EVENT_LOG: pulumi up (of the stack bench_stack made), then every node Ready
  # (--event-log is one of the CLI's debug flags)
  PULUMI_DEBUG_COMMANDS=true pl up --yes --skip-preview --event-log "$2" >"$WORK/up.log" 2>&1 || { tail -60 "$WORK/up.log"; return 1; }
  cp "$WORK/up.log" "$OUT_DIR/last-up.log"
  wait_until "every node Ready" "$READY_TRIES" 1 all_ready $((3 + $1))
}

stamp=$(date -u +%Y%m%dT%H%M%SZ)
# quiet CMD...: CMD's output only when it fails
quiet() { "$@" >"$WORK/quiet.log" 2>&1 || { tail -60 "$WORK/quiet.log"; return 1; }; }
ts() { (cd "$REPO" && npx --no-install ts-node --transpile-only "$@"); }
: >"$WORK/profile.txt"
# the JSON (and the table) after every measure: a later failure keeps what was measured
summarize() { ts "$BENCH_DIR/summary.ts" "$RESULTS" "$WORK/profile.txt" "$(git -C "$REPO" rev-parse --short HEAD)" "$OUT_DIR/bench-$stamp.json" >/dev/null; }

# cpu_seconds: "MACHINE HOSTS", CPU seconds used so far by the whole machine (/proc/stat: user,
# nice, system, irq, softirq, steal) and by the lab hosts running now (each host's own cgroup, which
# dev/lab/lab.sh makes and lists in run/NAME.cgroups; its counter starts when the host boots).
# The difference over a run is everything outside the hosts: the engine, its plugins, the program
# (or the plain script's ssh and scp).
cpu_seconds() {
  local hz machine hosts=0 list dir v1 v2
  hz=$(getconf CLK_TCK)
  machine=$(awk -v hz="$hz" '$1 == "cpu" { printf "%.1f", ($2 + $3 + $4 + $7 + $8 + $9) / hz }' /proc/stat)
  for list in "$REPO"/dev/lab/.work/run/*.cgroups; do
    [[ -f "$list" ]] || continue
    # one counter per host: cgroup v1's cpuacct (nanoseconds) where there is one, else cgroup v2's
    # cpu.stat (microseconds; a hybrid machine has both, counting the same CPU)
    v1="" v2=""
    while read -r dir; do
      if [[ -f "$dir/cpuacct.usage" ]]; then v1=$(($(cat "$dir/cpuacct.usage") / 1000000)); fi
      if [[ -f "$dir/cpu.stat" ]]; then v2=$(awk '$1 == "usage_usec" { print int($2 / 1000) }' "$dir/cpu.stat"); fi
    done <"$list"
    hosts=$((hosts + ${v1:-${v2:-0}}))
  done
  echo "$machine $(awk -v ms="$hosts" 'BEGIN { printf "%.1f", ms / 1000 }')"
}

# measure NAME CMD...: wall time of CMD into the results; with KHA_BENCH_CPU=true (the runs from
# bare hosts) also the CPU seconds used on the hosts and outside them while it ran
measure() {
  local name=$1 start cpu_before cpu_after
  shift
  cpu_before=$(cpu_seconds)
  start=$(date +%s.%N)
  "$@"
  local took
  took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  cpu_after=$(cpu_seconds)
  record "$name" "$took"
  say "$name: $took s"
  if [[ "${KHA_BENCH_CPU:-false}" == true ]]; then
    local on outside
    read -r on outside < <(awk -v before="$cpu_before" -v after="$cpu_after" 'BEGIN {
      split(before, b, " "); split(after, a, " ")
      printf "%.1f %.1f\n", a[2] - b[2], (a[1] - b[1]) - (a[2] - b[2]) }')
    record "$name: CPU s on the hosts" "$on"
    record "$name: CPU s outside the hosts" "$outside"
    say "$name: CPU $on s on the hosts, $outside s outside them ($(nproc) cores)"
  fi
  summarize
}

for ((round = 1; round <= ROUNDS; round++)); do
  fresh_hosts 5
  KHA_BENCH_CPU=true measure "baseline 3+2 from bare hosts" baseline "1 2 3" "4 5"
  fresh_hosts 6
  bench_stack 2
  KHA_BENCH_CPU=true measure "kubeadm-ha 3+2 from bare hosts" ours 2 "$WORK/events-$round.jsonl"
  if ((round < ROUNDS)); then forget_stack; fi
done

if ((ROUNDS > 0)); then
# critical path of the last run from bare hosts
ts "$BENCH_DIR/profile.ts" "$WORK/events-$ROUNDS.jsonl" | tee "$WORK/profile.txt"

# no-op up: no SSH session on any host. Measured on a cluster that has settled, as an operator's
# tenth `up` meets it (right after creation its pods still start and its 2 shared cores are busy:
# the first measures taken so, 10.3-11.0 s, were about 1.5 s above the settled dev stack's)
say "letting the new cluster settle for ${KHA_BENCH_SETTLE:-60} s before the no-op ups"
sleep "${KHA_BENCH_SETTLE:-60}"
# (the hosts share this machine's clock)
since=$(date '+%Y-%m-%d %H:%M:%S')
for i in 1 2 3; do measure "kubeadm-ha no-op up" quiet pl up --yes --skip-preview; done
until_ts=$(date '+%Y-%m-%d %H:%M:%S')
sleep 1
logins=0
for i in 1 2 3 4 5 6; do logins=$((logins + $(ssh_logins "kha-node-$i" "$since" "$until_ts"))); done
record "SSH logins during the no-op ups" "$logins"
say "SSH logins on the hosts during the no-op ups: $logins"

# one worker more, then destroy
bench_stack 3
measure "kubeadm-ha add one worker" ours 3 "$WORK/events-add.jsonl"
measure "kubeadm-ha destroy" quiet pl destroy --yes --skip-preview
forget_stack
fi

if [[ "$SCALE" == true ]]; then
  # the plain script at the same size: what 10 workers cost it (it joins them one after another)
  fresh_hosts 13
  KHA_BENCH_CPU=true measure "baseline 3+10 from bare hosts" baseline "1 2 3" "4 5 6 7 8 9 10 11 12 13"
  fresh_hosts 13
  bench_stack 10
  KHA_BENCH_CPU=true measure "kubeadm-ha 3+10 from bare hosts" ours 10 "$WORK/events-scale.jsonl"
  measure "kubeadm-ha destroy 3+10" quiet pl destroy --yes --skip-preview
  forget_stack
fi

summarize
ts "$BENCH_DIR/summary.ts" "$RESULTS" "$WORK/profile.txt" "$(git -C "$REPO" rev-parse --short HEAD)" "$OUT_DIR/bench-$stamp.json"
say "written: $OUT_DIR/bench-$stamp.json"
