#!/usr/bin/env bash
# Build (once) the lab's read-only layers:
#   $KHA_CACHE/lab/rootfs-<hash>  debootstrap of Debian bookworm, keyed by suite + arch + package list
#   $KHA_CACHE/lab/files-<hash>   dev/lab/files/ (units, sshd settings) with the units enabled
# Hosts overlay these (files over rootfs) with a private upper dir each.
set -euo pipefail
# shellcheck source=dev/lab/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The Debian mirror this machine's apt already uses (no host is named in this repo).
debian_mirror() {
  if [[ -n "${KHA_DEBIAN_MIRROR:-}" ]]; then
    echo "$KHA_DEBIAN_MIRROR"
    return
  fi
  local site
  # shellcheck disable=SC2016  # $(SITE) is apt's format field, not a shell expansion
  site="$(apt-get indextargets --format '$(SITE)' "Codename: $LAB_SUITE" 'Target-Of: deb' 2>/dev/null | sort -u | head -n1)"
  if [[ -z "$site" ]]; then
    apt-get update -q >/dev/null
    # shellcheck disable=SC2016
    site="$(apt-get indextargets --format '$(SITE)' "Codename: $LAB_SUITE" 'Target-Of: deb' 2>/dev/null | sort -u | head -n1)"
  fi
  [[ -n "$site" ]] || die "no apt source for $LAB_SUITE found; run 'apt-get update' or set KHA_DEBIAN_MIRROR"
  echo "$site"
}

install_tools() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; }
}

build_rootfs() {
  local dest tmp mirror t0 pkgs
  dest="$(rootfs_dir)"
  if [[ -f "$dest/.kha-complete" ]]; then
    log "rootfs cached: $dest"
    return 0
  fi
  tmp="$dest.tmp"
  rm -rf "$tmp"
  mkdir -p "$tmp" "$LAB_CACHE/debs"
  mirror="$(debian_mirror)"
  pkgs="$(IFS=,; echo "${LAB_PACKAGES[*]}")"
  log "debootstrap $LAB_SUITE into $tmp (several minutes; log: $LAB_CACHE/debootstrap.log)"
  t0=$(now_ms)
  if ! debootstrap --variant=minbase --components=main --include="$pkgs" \
    --cache-dir="$LAB_CACHE/debs" "$LAB_SUITE" "$tmp" "$mirror" >"$LAB_CACHE/debootstrap.log" 2>&1; then
    tail -n 30 "$LAB_CACHE/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  # Every host gets its own SSH host keys and machine-id (written into its upper dir by lab.sh).
  rm -f "$tmp"/etc/ssh/ssh_host_*
  : >"$tmp/etc/machine-id"
  rm -f "$tmp/var/lib/dbus/machine-id"
  chroot "$tmp" apt-get clean
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/var/log/*.log
  echo "$LAB_SUITE ${LAB_PACKAGES[*]}" >"$tmp/.kha-complete"
  mv "$tmp" "$dest"
  log "rootfs built in $((($(now_ms) - t0) / 1000)) s: $dest ($(du -sh "$dest" | cut -f1))"
}

build_files_layer() {
  local dest tmp
  dest="$(files_layer_dir)"
  [[ -f "$dest/.kha-complete" ]] && return 0
  tmp="$dest.tmp"
  rm -rf "$tmp"
  cp -a "$LAB_DIR/files" "$tmp"
  chmod 755 "$tmp/usr/local/sbin/"*
  mkdir -p "$tmp/etc/systemd/system/sysinit.target.wants" "$tmp/etc/systemd/system/multi-user.target.wants"
  ln -sf ../kha-cgroup-rw.service "$tmp/etc/systemd/system/sysinit.target.wants/kha-cgroup-rw.service"
  ln -sf ../kha-kernel-defaults.service \
    "$tmp/etc/systemd/system/sysinit.target.wants/kha-kernel-defaults.service"
  ln -sf /lib/systemd/system/systemd-networkd.service \
    "$tmp/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  # Units a lab host has no use for (disk scrubbing, apt timers): masked to keep boots short.
  local u
  for u in e2scrub_reap.service e2scrub_all.timer apt-daily.timer apt-daily-upgrade.timer \
    dpkg-db-backup.timer; do
    ln -sf /dev/null "$tmp/etc/systemd/system/$u"
  done
  touch "$tmp/.kha-complete"
  mv "$tmp" "$dest"
  log "files layer: $dest"
}

main() {
  need_root
  install_tools
  mkdir -p "$LAB_CACHE"
  exec 9>"$LAB_CACHE/.build.lock"
  flock -w 1800 9 || die "another rootfs build holds $LAB_CACHE/.build.lock"
  build_rootfs
  build_files_layer
}

main "$@"
