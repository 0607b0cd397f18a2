#!/usr/bin/env bash
# End-to-end test of the lab itself: boot, SSH, systemd, host-to-host network, a host power cycle
# that keeps its disk, then teardown with nothing left behind. Always tears down (trap).
# Safe when a lab is already up: `up` is idempotent and the hosts are reused.
# Env: KHA_LAB_TEST_HOSTS (default 3).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LAB="$REPO/dev/lab/lab.sh"
# shellcheck source=dev/lab/lib.sh
source "$REPO/dev/lab/lib.sh"
N="${KHA_LAB_TEST_HOSTS:-3}"
MARKER="/root/kha-lab-test-marker"

fails=0
T_START=$(now_ms)
pass() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
check() { # check DESCRIPTION CMD...
  local desc="$1"
  shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}
timed() { # timed LABEL CMD...: run, print elapsed ms
  local label="$1" t0 rc=0
  shift
  t0=$(now_ms)
  "$@" || rc=$?
  printf 'time %-28s %6d ms\n' "$label" "$(($(now_ms) - t0))"
  return $rc
}

ping_from() { host_ssh "$1" ping -c1 -W2 -q "$2" >/dev/null; }
teardown_done=0
teardown() {
  ((teardown_done)) && return 0
  teardown_done=1
  timed "down" "$LAB" down || fail "lab down"
}
trap 'rc=$?; teardown; exit $rc' EXIT
trap 'exit 130' INT TERM

[[ $EUID -eq 0 ]] || { echo "SKIP: the lab test needs root"; trap - EXIT; exit 0; }

echo "== lab test: $N hosts"
if [[ -n "$(foreign_lab_procs)" ]]; then
  echo "a lab from another checkout is up; taking it down first (one lab per machine)"
  "$LAB" down
fi
timed "rootfs (cached after 1st)" "$LAB" rootfs
inotify_before="$(cat /proc/sys/fs/inotify/max_user_instances)"
timed "up $N (boot)" "$LAB" up "$N"
timed "up $N again (idempotent)" "$LAB" up "$N"
check "inotify instances allowed for $N hosts (at least 128 + 64 per host, never lowered)" \
  test "$(cat /proc/sys/fs/inotify/max_user_instances)" -ge "$((inotify_before > 128 + 64 * N ? inotify_before : 128 + 64 * N))"

echo "== hosts"
for ((i = 1; i <= N; i++)); do
  name="$(host_name "$i")"
  check "$name answers SSH with the lab key" host_ssh "$i" true
  check "$name hostname is $name" test "$(host_ssh "$i" hostname)" = "$name"
  state="$(host_ssh "$i" systemctl is-system-running || true)"
  if [[ "$state" == running || "$state" == degraded ]]; then
    pass "$name systemd is $state"
  else
    fail "$name systemd is '$state'"
  fi
  if [[ "$state" != running ]]; then
    host_ssh "$i" systemctl --failed --no-legend --plain | sed 's/^/     failed unit: /' || true
  fi
  # shellcheck disable=SC2016  # expanded on the host, not here
  check "$name cgroups are writable" host_ssh "$i" \
    'for d in /sys/fs/cgroup/*/; do test -w "$d" || exit 1; done'
  check "$name /dev/kmsg exists" host_ssh "$i" test -e /dev/kmsg
  # shellcheck disable=SC2016  # expanded on the host
  check "$name shows the kubelet its kernel defaults" host_ssh "$i" \
    'test "$(sysctl -n vm.overcommit_memory kernel.panic kernel.panic_on_oops vm.panic_on_oom | tr "\n" " ")" = "1 10 1 0 "'
  check "$name can set net.* sysctls" host_ssh "$i" sysctl -qw net.ipv4.ip_forward=1
  check "$name containerd is active" host_ssh "$i" systemctl is-active --quiet containerd
  check "$name routes other addresses only to the lab bridge" host_ssh "$i" \
    "ip -o route get 192.0.2.1 | grep -q 'via $LAB_GATEWAY dev host0'"
done

check "$(host_name 1): containerd + runc run a container (image import, overlayfs, cgroups)" \
  bash -c "'$REPO/dev/lab/lab.sh' ssh 1 bash -s <'$REPO/test/lab/ctr-run.sh'"

echo "== network"
for ((i = 1; i <= N; i++)); do
  for ((j = 1; j <= N; j++)); do
    ((i == j)) && continue
    check "$(host_name "$i") -> $(host_name "$j") ($(host_ip "$j")) ping" ping_from "$i" "$(host_ip "$j")"
  done
done
check "the lab namespace has no default route" test -z "$(in_netns ip route show default)"
check "the lab namespace cannot route out (no packet sent)" bash -c \
  "! nsenter --net='$LAB_NETNS_PATH' ip route get 192.0.2.1 >/dev/null 2>&1"

echo "== stop-host / start-host keeps the disk"
victim="$(host_name 2)"
host_ssh 2 "echo kept-$$ >$MARKER && sync"
timed "stop-host $victim" "$LAB" stop-host "$victim"
check "$victim is gone from SSH" bash -c "! timeout 5 '$LAB' ssh '$victim' true 2>/dev/null"
check "$victim has no pidfile" test ! -e "$(host_pidfile "$victim")"
check "$victim root is unmounted" bash -c "! grep -qF ' $(host_root "$victim") ' /proc/mounts"
check "$(host_name 1) still answers while $victim is down" host_ssh 1 true
timed "start-host $victim" "$LAB" start-host "$victim"
check "$victim kept its file" test "$(host_ssh 2 cat "$MARKER")" = "kept-$$"
host_ssh 2 rm -f "$MARKER" || true

echo "== status"
"$LAB" status

echo "== teardown"
teardown
check "no $LAB_NETNS namespace" bash -c "! ip netns list | grep -qw '$LAB_NETNS'"
check "no lab mounts in /proc/mounts" bash -c "! grep -E 'kha-lab|$LAB_HOSTS_DIR' /proc/mounts"
check "no lab pidfiles" bash -c "! ls '$LAB_RUN_DIR'/*.pid '$LAB_RUN_DIR'/*.leader 2>/dev/null | grep -q ."
check "no lab processes" test -z "$(lab_nspawn_procs)"
check "no processes left in the lab namespace" bash -c "! ip netns pids '$LAB_NETNS' 2>/dev/null | grep -q ."
check "no veth leftovers in the root namespace" bash -c "! ip -o link show | grep -E 'vb-$LAB_HOST_PREFIX|ve-$LAB_HOST_PREFIX'"
check "no lab cgroups left" bash -c "! find /sys/fs/cgroup -maxdepth 6 -type d -name kha-lab 2>/dev/null | grep -q ."
check "the inotify limit is back to what it was ($inotify_before)" test "$(cat /proc/sys/fs/inotify/max_user_instances)" = "$inotify_before"

printf 'time %-28s %6d ms\n' "total" "$(($(now_ms) - T_START))"
if ((fails > 0)); then
  echo "lab test: $fails check(s) failed"
  exit 1
fi
echo "lab test: all checks passed"
