#!/usr/bin/env bash
# Shared settings and helpers for the kubeadm-ha lab scripts. Sourced, not run.
# shellcheck disable=SC2034  # the variables here are used by the scripts that source this file

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_WORK="${KHA_LAB_WORK:-$LAB_DIR/.work}"
KHA_CACHE="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
LAB_CACHE="$KHA_CACHE/lab"

# The network: everything lives inside this namespace, nothing is routed out of it.
LAB_NETNS="kha-lab"
LAB_NETNS_PATH="/run/netns/$LAB_NETNS"
LAB_BRIDGE="br0"
LAB_SUBNET_PREFIX="10.77.0"
LAB_GATEWAY="$LAB_SUBNET_PREFIX.1"
LAB_HOST_PREFIX="kha-node-"
LAB_MAX_HOSTS=40

# The rootfs: Debian bookworm. The package list is part of the cache key.
LAB_SUITE="bookworm"
LAB_PACKAGES=(
  systemd systemd-sysv dbus libpam-systemd openssh-server iproute2 iptables conntrack socat ethtool
  ca-certificates curl kmod procps less containerd runc containernetworking-plugins
  iputils-ping openssl
)

LAB_SSH_DIR="$LAB_WORK/ssh"
LAB_SSH_KEY="$LAB_SSH_DIR/id_ed25519"
LAB_KNOWN_HOSTS="$LAB_SSH_DIR/known_hosts"
LAB_HOSTS_DIR="$LAB_WORK/hosts"
LAB_RUN_DIR="$LAB_WORK/run"

log() { printf '[lab %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() { [[ $EUID -eq 0 ]] || die "the lab needs root (namespaces, mounts, systemd-nspawn)"; }

# Milliseconds since the epoch, for timings.
now_ms() { date +%s%3N; }

# Cache key of the debootstrap stage: suite, architecture and package list.
rootfs_hash() {
  printf '%s\n' "v1" "$LAB_SUITE" "$(dpkg --print-architecture)" "${LAB_PACKAGES[@]}" | sha256sum | cut -c1-12
}
rootfs_dir() { echo "$LAB_CACHE/rootfs-$(rootfs_hash)"; }

# Cache key of the lab's own files layered over the rootfs (units, sshd settings, scripts), and of
# rootfs.sh, which adds the unit links and masks.
files_hash() {
  {
    (cd "$LAB_DIR/files" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum <"$LAB_DIR/rootfs.sh"
  } | sha256sum | cut -c1-12
}
files_layer_dir() { echo "$LAB_CACHE/files-$(files_hash)"; }

# Host i (1-based) -> name and address.
host_name() { echo "$LAB_HOST_PREFIX$1"; }
host_ip() { echo "$LAB_SUBNET_PREFIX.$((10 + $1))"; }
host_index() {
  local name="$1" idx
  [[ "$name" == "$LAB_HOST_PREFIX"* ]] || die "not a lab host: $name (expected ${LAB_HOST_PREFIX}N)"
  idx="${name#"$LAB_HOST_PREFIX"}"
  if ! [[ "$idx" =~ ^[0-9]+$ ]] || ((idx < 1 || idx > LAB_MAX_HOSTS)); then
    die "bad host index in $name"
  fi
  echo "$idx"
}

host_dir() { echo "$LAB_HOSTS_DIR/$1"; }
host_root() { echo "$LAB_HOSTS_DIR/$1/root"; }
host_pidfile() { echo "$LAB_RUN_DIR/$1.pid"; }
host_leaderfile() { echo "$LAB_RUN_DIR/$1.leader"; }
host_log() { echo "$LAB_RUN_DIR/$1.log"; }

# True when the pid in a pidfile is alive and is the process we recorded (same start time).
pidfile_alive() {
  local f="$1" pid start
  [[ -s "$f" ]] || return 1
  read -r pid start <"$f" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -d "/proc/$pid" ]] || return 1
  [[ -z "${start:-}" ]] && return 0
  [[ "$(proc_start "$pid")" == "$start" ]]
}
pidfile_pid() { local pid _; read -r pid _ <"$1"; echo "$pid"; }
# Field 22 of /proc/PID/stat: start time in clock ticks since boot (guards against pid reuse).
proc_start() { awk '{ sub(/^.*\) /, ""); print $20 }' "/proc/$1/stat" 2>/dev/null || true; }
write_pidfile() { printf '%s %s\n' "$2" "$(proc_start "$2")" >"$1"; }

netns_exists() { [[ -e "$LAB_NETNS_PATH" ]] && ip netns list 2>/dev/null | grep -qw "^$LAB_NETNS"; }
in_netns() { nsenter --net="$LAB_NETNS_PATH" -- "$@"; }

ssh_opts() {
  printf '%s\n' -i "$LAB_SSH_KEY" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=3 \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o LogLevel=ERROR
}
# Run a command on a host over SSH from inside the lab namespace.
host_ssh() {
  local idx="$1"
  shift
  local opts
  mapfile -t opts < <(ssh_opts)
  in_netns ssh "${opts[@]}" "root@$(host_ip "$idx")" "$@"
}

# systemd-nspawn processes running a lab host, from any checkout: matched on their exact argv
# (--machine=kha-node-N), which only the lab uses. Prints "pid directory".
lab_nspawn_procs() {
  local p args dir
  for p in $(pgrep -x systemd-nspawn || true); do
    args="$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null)" || continue
    grep -qx -- "--machine=${LAB_HOST_PREFIX}[0-9]*" <<<"$args" || continue
    dir="$(sed -n 's/^--directory=//p' <<<"$args")"
    echo "$p ${dir:-?}"
  done
  return 0
}

# Lab hosts running from another checkout (their root is not under our LAB_HOSTS_DIR).
foreign_lab_procs() {
  local pid dir
  while read -r pid dir; do
    [[ -n "$pid" ]] || continue
    [[ "$dir" == "$LAB_HOSTS_DIR"/* ]] || echo "$pid $dir"
  done < <(lab_nspawn_procs)
}
