#!/usr/bin/env bash
# kubeadm-ha lab: real Debian hosts (systemd-nspawn containers booting systemd) on one machine,
# on a bridge inside a private network namespace. See dev/lab/README.md.
set -euo pipefail
# shellcheck source=dev/lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: dev/lab/lab.sh COMMAND [ARGS]
  rootfs                 build the cached Debian rootfs (once) and the lab files layer
  up [N]                 boot hosts ${LAB_HOST_PREFIX}1..N (default 5) in netns $LAB_NETNS; idempotent
  status                 show the namespace and every host
  inventory              hosts as JSON (name, ip, user, key), for stack configs and tests
  ssh HOST [CMD...]      SSH to a host (name, index or IP) from inside the namespace
  stop-host HOST         power a host off (its disk is kept)
  start-host HOST        boot a stopped host again
  wipe-host HOST         power a host off, give it a fresh disk (a new host key), boot it: a reinstall
  known-hosts            rewrite the lab's known_hosts from the hosts' current keys
  down                   stop every host, unmount, delete the namespace (host disks are kept)
  purge                  down, then delete the host disks and the lab SSH key
  exec CMD [ARGS...]     run a command inside the lab network namespace
EOF
}

# ---- network namespace -------------------------------------------------------------------------

ensure_netns() {
  mkdir -p "$LAB_RUN_DIR"
  if ! netns_exists; then
    # `ip netns add` bind-mounts /run/netns onto itself the first time; remember whether that
    # mount is ours so `down` can take it away again.
    if [[ ! -f "$LAB_RUN_DIR/run-netns.mounted-by-lab" ]] && ! mountpoint -q /run/netns 2>/dev/null; then
      touch "$LAB_RUN_DIR/run-netns.mounted-by-lab"
      [[ -d /run/netns ]] || touch "$LAB_RUN_DIR/run-netns.created-by-lab"
    fi
    # systemd-nspawn keeps lock and propagation dirs here; take them away on down if they are ours.
    if [[ ! -d /run/systemd/nspawn ]]; then touch "$LAB_RUN_DIR/nspawn-rundir.created-by-lab"; fi
    ip netns add "$LAB_NETNS"
    log "created netns $LAB_NETNS"
  fi
  in_netns ip link set lo up
  if ! in_netns ip link show "$LAB_BRIDGE" >/dev/null 2>&1; then
    in_netns ip link add "$LAB_BRIDGE" type bridge
  fi
  in_netns ip addr replace "$LAB_GATEWAY/24" dev "$LAB_BRIDGE"
  in_netns ip link set "$LAB_BRIDGE" up
  # The namespace is a dead end: no uplink, no default route, no forwarding, no NAT.
  in_netns sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
  if in_netns ip route show default | grep -q .; then
    die "netns $LAB_NETNS has a default route; the lab must not route out"
  fi
}

delete_netns() {
  if netns_exists; then
    local pids
    pids="$(ip netns pids "$LAB_NETNS" 2>/dev/null | tr '\n' ' ')"
    if [[ -n "${pids// /}" ]]; then
      die "processes still run in netns $LAB_NETNS (pids: $pids); end them (e.g. a 'lab.sh exec' job) and run down again"
    fi
    ip netns del "$LAB_NETNS"
    log "deleted netns $LAB_NETNS"
  fi
  if [[ -f "$LAB_RUN_DIR/run-netns.mounted-by-lab" ]]; then
    if mountpoint -q /run/netns 2>/dev/null && [[ -z "$(ls -A /run/netns)" ]]; then
      umount /run/netns
    fi
    rm -f "$LAB_RUN_DIR/run-netns.mounted-by-lab"
  fi
  if [[ -f "$LAB_RUN_DIR/run-netns.created-by-lab" ]]; then
    rmdir /run/netns 2>/dev/null || true
    rm -f "$LAB_RUN_DIR/run-netns.created-by-lab"
  fi
  if [[ -f "$LAB_RUN_DIR/nspawn-rundir.created-by-lab" ]]; then
    rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/locks /run/systemd/nspawn 2>/dev/null || true
    rm -f "$LAB_RUN_DIR/nspawn-rundir.created-by-lab"
  fi
}

# ---- SSH key -----------------------------------------------------------------------------------

ensure_ssh_key() {
  mkdir -p "$LAB_SSH_DIR"
  chmod 700 "$LAB_SSH_DIR"
  if [[ ! -f "$LAB_SSH_KEY" ]]; then
    ssh-keygen -q -t ed25519 -N '' -C "kubeadm-ha-lab" -f "$LAB_SSH_KEY"
    log "generated lab SSH key $LAB_SSH_KEY"
  fi
}

# known_hosts for every host disk that exists (each host has its own host keys).
write_known_hosts() {
  local d name idx tmp
  tmp="$(mktemp "$LAB_SSH_DIR/known_hosts.XXXXXX")"
  for d in "$LAB_HOSTS_DIR"/"$LAB_HOST_PREFIX"*; do
    [[ -f "$d/upper/etc/ssh/ssh_host_ed25519_key.pub" ]] || continue
    name="$(basename "$d")"
    idx="$(host_index "$name")"
    printf '%s,%s %s\n' "$(host_ip "$idx")" "$name" \
      "$(cut -d' ' -f1,2 "$d/upper/etc/ssh/ssh_host_ed25519_key.pub")" >>"$tmp"
  done
  mv "$tmp" "$LAB_KNOWN_HOSTS"
}

# ---- cgroups -----------------------------------------------------------------------------------
# With --register=no --keep-unit, nspawn leaves the container in the cgroup it was started from,
# and the container's systemd builds its tree (system.slice, ...) there. Every host must get its
# own cgroup in every hierarchy, or the hosts' systemds share (and kill) each other's units.
# The lab's cgroups go below the cgroup of the process that runs `up`.

# Lines "mountpoint<TAB>relative-path" for each cgroup hierarchy of pid $1.
cgroup_paths() {
  awk -v pidfile="/proc/$1/cgroup" '
    BEGIN {
      while ((getline line < pidfile) > 0) {
        split(line, f, ":"); path = substr(line, length(f[1]) + length(f[2]) + 3)
        if (f[2] == "") v2 = path; else { n = split(f[2], c, ","); for (i = 1; i <= n; i++) cg[c[i]] = path }
      }
    }
    {
      sep = 0; for (i = 1; i <= NF; i++) if ($i == "-") { sep = i; break }
      fstype = $(sep + 1); opts = $(sep + 3); mnt = $5
      if (mnt !~ /^\/sys\/fs\/cgroup/) next
      if (fstype == "cgroup2" && v2 != "") print mnt "\t" v2
      else if (fstype == "cgroup") {
        n = split(opts, o, ","); for (i = 1; i <= n; i++) if (o[i] in cg) { print mnt "\t" cg[o[i]]; break }
      }
    }' /proc/self/mountinfo
}

# Move pid $2 into a fresh cgroup for host $1 in every hierarchy; record the dirs for cleanup.
cgroup_enter() {
  local name="$1" pid="$2" mnt rel base dir list
  list="$LAB_RUN_DIR/$name.cgroups"
  : >"$list"
  while IFS=$'\t' read -r mnt rel; do
    base="$mnt${rel%/}/kha-lab"
    dir="$base/$name"
    mkdir -p "$dir"
    if [[ -f "$dir/cpuset.cpus" ]]; then
      cat "$base/../cpuset.cpus" >"$base/cpuset.cpus" 2>/dev/null || true
      cat "$base/../cpuset.mems" >"$base/cpuset.mems" 2>/dev/null || true
      cat "$base/cpuset.cpus" >"$dir/cpuset.cpus"
      cat "$base/cpuset.mems" >"$dir/cpuset.mems"
    fi
    echo "$pid" >"$dir/cgroup.procs"
    echo "$dir" >>"$list"
  done < <(cgroup_paths "$pid")
}

# Remove a stopped host's cgroups (depth first), then the kha-lab parents once they are empty.
cgroup_cleanup() {
  local name="$1" list dir i
  list="$LAB_RUN_DIR/$name.cgroups"
  [[ -f "$list" ]] || return 0
  while read -r dir; do
    [[ -d "$dir" && "$dir" == */kha-lab/"$name" ]] || continue
    for i in $(seq 1 20); do
      find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
      [[ -d "$dir" ]] || break
      sleep 0.25
    done
    [[ -d "$dir" ]] && log "warning: could not remove cgroup $dir"
    rmdir "$(dirname "$dir")" 2>/dev/null || true
  done <"$list"
  rm -f "$list"
}

# ---- hosts -------------------------------------------------------------------------------------

host_running() { pidfile_alive "$(host_pidfile "$1")"; }
root_mounted() { grep -qF " $(host_root "$1") " /proc/mounts; }

# Per-host files, written into the host's upper dir before it boots (its "disk").
prepare_host_disk() {
  local idx="$1" n="$2" name ip up i
  name="$(host_name "$idx")"
  ip="$(host_ip "$idx")"
  up="$(host_dir "$name")/upper"
  mkdir -p "$up/etc/ssh" "$up/etc/systemd/network" "$up/root/.ssh" \
    "$(host_dir "$name")/work" "$(host_root "$name")" "$(host_dir "$name")/containerd"
  echo "$name" >"$up/etc/hostname"
  [[ -s "$up/etc/machine-id" ]] || tr -d '-' </proc/sys/kernel/random/uuid >"$up/etc/machine-id"
  # Own host key per host (ed25519 only: RSA keygen costs seconds; sshd is told in files/).
  [[ -f "$up/etc/ssh/ssh_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "root@$name" -f "$up/etc/ssh/ssh_host_ed25519_key"
  cat >"$up/etc/systemd/network/10-kha-lab.network" <<EOF
# kubeadm-ha lab: static address on the lab bridge. The gateway is the bridge in the lab's
# namespace, which routes nowhere (Kubernetes wants a default route to pick the node IP).
[Match]
Name=host0

[Network]
Address=$ip/24
Gateway=$LAB_GATEWAY
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
    for ((i = 1; i <= n; i++)); do printf '%s\t%s\n' "$(host_ip "$i")" "$(host_name "$i")"; done
  } >"$up/etc/hosts"
  install -m 600 "$LAB_SSH_KEY.pub" "$up/root/.ssh/authorized_keys"
  chmod 700 "$up/root/.ssh"
}

mount_root() {
  local name="$1" d
  d="$(host_dir "$name")"
  root_mounted "$name" && return 0
  rm -rf "$d/work/work" # overlay's scratch dir; must be empty between mounts
  mount -t overlay kha-lab-overlay \
    -o "lowerdir=$(files_layer_dir):$(rootfs_dir),upperdir=$d/upper,workdir=$d/work" "$(host_root "$name")"
}

umount_root() {
  local name="$1" i
  for i in $(seq 1 40); do
    root_mounted "$name" || return 0
    umount "$(host_root "$name")" 2>/dev/null || sleep 0.25
  done
  root_mounted "$name" && die "cannot unmount $(host_root "$name")"
  return 0
}

# Boot one host (asynchronously). $2: how many hosts /etc/hosts should list (and the inotify limit
# must hold).
start_host() {
  local idx="$1" n="$2" name pid leader i
  name="$(host_name "$idx")"
  if host_running "$name"; then
    log "$name already running (pid $(pidfile_pid "$(host_pidfile "$name")"))"
    return 0
  fi
  ensure_inotify "$n"
  rm -f "$(host_pidfile "$name")" "$(host_leaderfile "$name")"
  prepare_host_disk "$idx" "$n"
  mount_root "$name"
  echo "=== kubeadm-ha lab: boot $(date -u +%FT%TZ)" >>"$(host_log "$name")"
  (
    exec 8>&- # the lab lock must not live on in the host
    cgroup_enter "$name" "$BASHPID"
    export SYSTEMD_SECCOMP=0
    exec setsid nsenter --net="$LAB_NETNS_PATH" -- systemd-nspawn --quiet \
      --boot --register=no --keep-unit --machine="$name" --hostname="$name" \
      --directory="$(host_root "$name")" \
      --network-veth --network-bridge="$LAB_BRIDGE" --capability=all \
      --bind="$(host_dir "$name")/containerd:/var/lib/containerd" \
      --resolv-conf=off --timezone=off --link-journal=no --console=read-only
  ) </dev/null >>"$(host_log "$name")" 2>&1 &
  pid=$!
  write_pidfile "$(host_pidfile "$name")" "$pid"
  # The container's PID 1 is a child of nspawn; record it for a forced stop.
  for i in $(seq 1 100); do
    leader="$(awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null)" || true
    [[ -n "$leader" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == "systemd-nspawn" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ -n "${leader:-}" ]]; then
    write_pidfile "$(host_leaderfile "$name")" "$leader"
  fi
}

# Wait until host idx answers SSH and its systemd finished booting. Prints the boot state.
wait_host() {
  local idx="$1" name state rc i
  name="$(host_name "$idx")"
  for i in $(seq 1 240); do
    host_running "$name" || { tail -n 20 "$(host_log "$name")" >&2; die "$name exited while booting"; }
    rc=0
    state="$(host_ssh "$idx" timeout 60 systemctl is-system-running --wait </dev/null 2>/dev/null)" || rc=$?
    # 255: ssh itself failed (sshd not up yet); anything else came from systemctl on the host.
    if ((rc != 255)); then
      echo "${state:-unknown}"
      return 0
    fi
    ((i == 240)) && die "$name did not answer SSH within 60 s (log: $(host_log "$name"))"
    sleep 0.25
  done
}

# Wait for hosts (indexes) in parallel; log each one's state and time since t0. Fails if one failed.
wait_hosts() {
  local t0="$1" i state t failed=0 tmp
  shift
  tmp="$(mktemp -d)"
  local pids=()
  for i in "$@"; do
    (
      st="$(wait_host "$i")" || exit 1
      echo "$st $(now_ms)" >"$tmp/$i"
    ) &
    pids+=("$!")
  done
  # Only these pids: a bare `wait` would also wait for the nspawn hosts started by this shell.
  for i in "${pids[@]}"; do wait "$i" || failed=1; done
  for i in "$@"; do
    if [[ ! -s "$tmp/$i" ]]; then
      log "$(host_name "$i") did not come up"
      failed=1
      continue
    fi
    read -r state t <"$tmp/$i"
    log "$(host_name "$i") $(host_ip "$i") up: systemd $state after $((t - t0)) ms"
    if [[ "$state" != running ]]; then
      host_ssh "$i" systemctl --failed --no-legend --plain </dev/null 2>/dev/null | sed 's/^/    failed: /' >&2 || true
    fi
  done
  rm -rf "$tmp"
  return "$failed"
}

# SIGTERM to nspawn = orderly shutdown of the container's systemd (SIGRTMIN+3 to its PID 1).
# Only once: a second SIGTERM makes nspawn terminate the container at once.
signal_host() {
  local pidf
  pidf="$(host_pidfile "$1")"
  if pidfile_alive "$pidf"; then kill -TERM "$(pidfile_pid "$pidf")"; fi
}

# Stop a host, wait for it (bounded), force it if needed, then unmount and clean up.
# $2=signaled: signal_host was already called.
stop_host() {
  local name="$1" signaled="${2:-}" pidf leaderf pid i
  pidf="$(host_pidfile "$name")"
  leaderf="$(host_leaderfile "$name")"
  if [[ -s "$pidf" ]]; then
    pid="$(pidfile_pid "$pidf")"
    if [[ "$signaled" != signaled ]] && pidfile_alive "$pidf"; then kill -TERM "$pid"; fi
    for i in $(seq 1 120); do
      pidfile_alive "$pidf" || break
      sleep 0.25
    done
    if pidfile_alive "$pidf"; then
      log "$name did not shut down in 30 s; killing it"
      if pidfile_alive "$leaderf"; then kill -KILL "$(pidfile_pid "$leaderf")" || true; fi
      for i in $(seq 1 40); do
        pidfile_alive "$pidf" || break
        sleep 0.25
      done
      if pidfile_alive "$pidf"; then kill -KILL "$pid" || true; sleep 0.5; fi
    fi
    log "$name stopped"
  fi
  umount_root "$name"
  cgroup_cleanup "$name"
  rm -f "$pidf" "$leaderf"
}

# Accept a host as name, index or IP.
resolve_host() {
  local h="$1"
  if [[ "$h" =~ ^[0-9]+$ ]]; then h="$(host_name "$h")"; fi
  if [[ "$h" == "$LAB_SUBNET_PREFIX".* ]]; then h="$(host_name "$((${h##*.} - 10))")"; fi
  host_index "$h" >/dev/null
  echo "$h"
}

# Hosts known to the lab: with a disk or a pidfile, in index order.
known_hosts_list() {
  local d
  for d in "$LAB_HOSTS_DIR"/"$LAB_HOST_PREFIX"* "$LAB_RUN_DIR"/"$LAB_HOST_PREFIX"*.pid; do
    [[ -e "$d" ]] || continue
    d="$(basename "$d")"
    echo "${d%.pid}"
  done | sort -u -t- -k3,3n
}

# How many hosts /etc/hosts lists: the highest index known, at least $1.
host_count() {
  local n="$1" name idx
  while read -r name; do
    [[ -n "$name" ]] || continue
    idx="$(host_index "$name")"
    ((idx > n)) && n=$idx
  done < <(known_hosts_list)
  echo "$n"
}

# ---- inotify -----------------------------------------------------------------------------------
# Every host's systemd, journald, containerd, kubelet and pods open inotify instances, and all of
# them count against root on this machine (every host's root is this machine's root): 5 running
# Kubernetes hosts held 126. At the kernel's default limit, 128 per user, a sixth host's pods, or a
# restarted host's kubelet, fail to start ("too many open files") and never get Ready. The lab
# raises the limit before it boots hosts (never lowers it), records the value it found, and puts it
# back when it goes down.
INOTIFY_INSTANCES=/proc/sys/fs/inotify/max_user_instances
INOTIFY_RECORD="$LAB_RUN_DIR/inotify-max-user-instances.orig"

ensure_inotify() { # ensure_inotify HOSTS
  local need=$((128 + 64 * $1)) current
  current="$(cat "$INOTIFY_INSTANCES")"
  ((current >= need)) && return 0
  mkdir -p "$LAB_RUN_DIR"
  [[ -f "$INOTIFY_RECORD" ]] || echo "$current" >"$INOTIFY_RECORD"
  echo "$need" >"$INOTIFY_INSTANCES"
  log "raised fs.inotify.max_user_instances from $current to $need for $1 hosts (lab.sh down puts it back)"
}

restore_inotify() {
  local value
  [[ -f "$INOTIFY_RECORD" ]] || return 0
  value="$(cat "$INOTIFY_RECORD")"
  if [[ "$value" =~ ^[0-9]+$ ]]; then
    echo "$value" >"$INOTIFY_INSTANCES"
    log "fs.inotify.max_user_instances back to $value"
  fi
  rm -f "$INOTIFY_RECORD"
}

# ---- commands ----------------------------------------------------------------------------------

cmd_rootfs() { "$LAB_DIR/rootfs.sh"; }

cmd_up() {
  local n="${1:-5}" t0 total i
  if ! [[ "$n" =~ ^[0-9]+$ ]] || ((n < 1 || n > LAB_MAX_HOSTS)); then die "N must be 1..$LAB_MAX_HOSTS"; fi
  need_root
  refuse_foreign_lab
  "$LAB_DIR/rootfs.sh"
  ensure_ssh_key
  ensure_netns
  total="$(host_count "$n")"
  t0=$(now_ms)
  for ((i = 1; i <= n; i++)); do start_host "$i" "$total"; done
  write_known_hosts
  wait_hosts "$t0" $(seq 1 "$n") || die "not every host came up"
  log "lab up: $n hosts in $(($(now_ms) - t0)) ms (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
}

cmd_status() {
  local name idx state
  if netns_exists; then
    echo "netns $LAB_NETNS: present; $LAB_BRIDGE $(in_netns ip -br addr show "$LAB_BRIDGE" 2>/dev/null | awk '{print $3}')"
  else
    echo "netns $LAB_NETNS: absent"
  fi
  while read -r name; do
    [[ -n "$name" ]] || continue
    idx="$(host_index "$name")"
    if host_running "$name"; then
      state="$(host_ssh "$idx" systemctl is-system-running </dev/null 2>/dev/null || true)"
      printf '%-12s %-12s running (pid %s) systemd: %s\n' "$name" "$(host_ip "$idx")" \
        "$(pidfile_pid "$(host_pidfile "$name")")" "${state:-no ssh}"
    else
      printf '%-12s %-12s stopped\n' "$name" "$(host_ip "$idx")"
    fi
  done < <(known_hosts_list)
}

cmd_inventory() {
  local name idx first=1
  printf '{"netns":"%s","sshUser":"root","sshKey":"%s","knownHosts":"%s","hosts":[' \
    "$LAB_NETNS" "$LAB_SSH_KEY" "$LAB_KNOWN_HOSTS"
  while read -r name; do
    [[ -n "$name" ]] || continue
    idx="$(host_index "$name")"
    ((first)) || printf ','
    first=0
    printf '{"name":"%s","ip":"%s","running":%s}' "$name" "$(host_ip "$idx")" \
      "$(host_running "$name" && echo true || echo false)"
  done < <(known_hosts_list)
  printf ']}\n'
}

cmd_ssh() {
  [[ $# -ge 1 ]] || die "usage: lab.sh ssh HOST [CMD...]"
  local name idx opts
  name="$(resolve_host "$1")"
  shift
  idx="$(host_index "$name")"
  mapfile -t opts < <(ssh_opts)
  if [[ $# -eq 0 && -t 0 ]]; then opts+=(-t); fi
  exec nsenter --net="$LAB_NETNS_PATH" -- ssh "${opts[@]}" "root@$(host_ip "$idx")" "$@"
}

cmd_stop_host() {
  [[ $# -eq 1 ]] || die "usage: lab.sh stop-host HOST"
  need_root
  stop_host "$(resolve_host "$1")"
}

cmd_start_host() {
  [[ $# -eq 1 ]] || die "usage: lab.sh start-host HOST"
  need_root
  local name idx t0
  name="$(resolve_host "$1")"
  idx="$(host_index "$name")"
  [[ -d "$(host_dir "$name")/upper" ]] || die "$name has never been up; use 'lab.sh up'"
  netns_exists || die "the lab is down; use 'lab.sh up'"
  refuse_foreign_lab
  t0=$(now_ms)
  start_host "$idx" "$(host_count "$idx")"
  write_known_hosts
  wait_hosts "$t0" "$idx" || die "$name did not come up"
}

# A reinstalled machine under the same name and address (the e2e drill of a lost control plane):
# nothing of kubeadm-ha, etcd or Kubernetes left on it, and a new SSH host key, which known_hosts
# follows (a reinstall's new key is what an operator pins).
cmd_wipe_host() {
  [[ $# -eq 1 ]] || die "usage: lab.sh wipe-host HOST"
  local name idx d t0
  name="$(resolve_host "$1")"
  idx="$(host_index "$name")"
  d="$(host_dir "$name")"
  [[ -d "$d/upper" ]] || die "$name has never been up; use 'lab.sh up'"
  netns_exists || die "the lab is down; use 'lab.sh up'"
  refuse_foreign_lab
  stop_host "$name"
  rm -rf "$d/upper" "$d/work" "$d/containerd"
  t0=$(now_ms)
  start_host "$idx" "$(host_count "$idx")"
  write_known_hosts
  wait_hosts "$t0" "$idx" || die "$name did not come up"
  log "$name wiped: a fresh disk and a new host key"
}

# After a host's key changed on purpose (the e2e host-key drill): the lab's own ssh trusts it again.
cmd_known_hosts() {
  need_root
  write_known_hosts
}

# Whatever the lab left behind without a pidfile of ours: hosts started from another checkout (or
# whose pidfiles are gone), overlay roots, cgroups. Everything here is found by a mark only the lab
# uses: nspawn's --machine=kha-node-N, the overlay source "kha-lab-overlay", cgroup dirs "kha-lab".
sweep_strays() {
  local pid dir pids=() i child m d
  while read -r pid dir; do
    [[ -n "$pid" ]] || continue
    log "stopping stray lab host (pid $pid, root $dir)"
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$pid")
  done < <(lab_nspawn_procs)
  for pid in "${pids[@]}"; do
    for i in $(seq 1 120); do
      [[ -d "/proc/$pid" ]] || break
      sleep 0.25
    done
    if [[ -d "/proc/$pid" ]]; then
      child="$(awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null || true)"
      if [[ -n "$child" ]]; then kill -KILL "$child" 2>/dev/null || true; fi
      sleep 1
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  # Overlay roots (newest first, in case one sits below another).
  while read -r m; do
    [[ -n "$m" ]] || continue
    log "unmounting stray lab root $m"
    umount "$m" 2>/dev/null || log "warning: cannot unmount $m"
  done < <(awk '{ for (i = 1; i <= NF; i++) if ($i == "-") break; if ($(i + 2) == "kha-lab-overlay") print $5 }' \
    /proc/self/mountinfo | tac)
  # Empty lab cgroups (rmdir refuses any that still has processes).
  while read -r d; do
    [[ -n "$d" ]] || continue
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [[ -d "$d" ]] && log "warning: cgroup $d is still in use"
  done < <(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name kha-lab 2>/dev/null)
  return 0
}

cmd_down() {
  need_root
  local name hosts
  mapfile -t hosts < <(known_hosts_list)
  # Shut all hosts down in parallel, then collect them one by one.
  for name in "${hosts[@]}"; do signal_host "$name"; done
  for name in "${hosts[@]}"; do stop_host "$name" signaled; done
  sweep_strays
  delete_netns
  restore_inotify
  rm -f "$LAB_RUN_DIR"/*.pid "$LAB_RUN_DIR"/*.leader
  log "lab down"
}

# One lab per machine: the namespace, the bridge and the addresses are shared by every checkout.
refuse_foreign_lab() {
  local foreign
  foreign="$(foreign_lab_procs)"
  [[ -z "$foreign" ]] && return 0
  log "lab hosts from another checkout are running (pid root):"
  printf '    %s\n' "${foreign//$'\n'/$'\n    '}" >&2
  die "only one lab per machine: run 'dev/lab/lab.sh down' (it stops any lab) and try again"
}

cmd_purge() {
  cmd_down
  rm -rf "$LAB_HOSTS_DIR" "$LAB_SSH_DIR" "$LAB_RUN_DIR"
  log "host disks and lab SSH key deleted"
}

cmd_exec() {
  [[ $# -ge 1 ]] || set -- "${SHELL:-/bin/bash}"
  netns_exists || die "the lab is down; use 'lab.sh up'"
  exec nsenter --net="$LAB_NETNS_PATH" -- "$@"
}

# Commands that change the lab run one at a time.
lab_lock() {
  mkdir -p "$LAB_WORK"
  exec 8>"$LAB_WORK/.lock"
  flock -w 600 8 || die "another lab command holds $LAB_WORK/.lock"
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    up | down | purge | stop-host | start-host | wipe-host) need_root; lab_lock ;;
  esac
  case "$cmd" in
    rootfs) cmd_rootfs "$@" ;;
    up) cmd_up "$@" ;;
    status) cmd_status "$@" ;;
    inventory) cmd_inventory "$@" ;;
    ssh) cmd_ssh "$@" ;;
    stop-host) cmd_stop_host "$@" ;;
    start-host) cmd_start_host "$@" ;;
    wipe-host) cmd_wipe_host "$@" ;;
    known-hosts) cmd_known_hosts "$@" ;;
    down) cmd_down "$@" ;;
    purge) cmd_purge "$@" ;;
    exec) cmd_exec "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
