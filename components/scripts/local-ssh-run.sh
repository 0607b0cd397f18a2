#!/usr/bin/env bash
# Runs on the machine running Pulumi: the program's own SSH, with the host keys pinned. Modes:
#   run   (a local command's delete) sends KHA_REMOTE_PROGRAM to the node and runs it with
#         KHA_REMOTE_SHELL. A node that cannot be reached after a bounded number of tries is
#         reported and skipped, so `pulumi destroy` never wedges on a host that is gone; a host that
#         answers but refuses the login or shows another host key is not gone: that fails, naming
#         the host, so nothing is forgotten that still runs.
#   check (before `pulumi up` changes anything) verifies the host key and then offers no credential
#         at all, so it never logs in (a bastion is logged in to, to reach the host): a changed key
#         fails with both fingerprints before any step sends key material; unreachable only warns.
#   fetch like run, for a program whose output the caller keeps (a snapshot copy): a host that
#         cannot be reached fails instead of being skipped.
#   scan  (ssh.trustOnFirstUse) logs in once, accepting the key the host shows, and prints it
#         (`type base64`) for the program to pin from then on. A pinned bastion key still holds.
# The private key arrives on stdin and only ever lives in a 0600 temporary file, next to a
# known_hosts file made for this run from the pinned keys (never the operator's own files).
#
# Environment: KHA_NODE, KHA_HOST, KHA_PORT, KHA_USER, KHA_HOST_KEY (`type base64`; empty only in
# scan mode), KHA_BASTION (user@host:port or empty), KHA_BASTION_HOST_KEY, KHA_SSH_MODE (run),
# KHA_REMOTE_SHELL, KHA_REMOTE_PROGRAM (run mode), KHA_SSH_TRIES (3), KHA_SSH_TIMEOUT (10 s).
set -euo pipefail

: "${KHA_NODE:?}" "${KHA_HOST:?}"
mode="${KHA_SSH_MODE:-run}"
port="${KHA_PORT:-22}"
user="${KHA_USER:-root}"
shell="${KHA_REMOTE_SHELL:-bash -s}"
tries="${KHA_SSH_TRIES:-3}"
timeout="${KHA_SSH_TIMEOUT:-10}"
case "$mode" in
  run | fetch) : "${KHA_REMOTE_PROGRAM:?}" ;;
  check | scan) shell=true ;;
  *)
    echo "kubeadm-ha: unknown KHA_SSH_MODE '$mode'" >&2
    exit 2
    ;;
esac
if [[ "$mode" != scan && -z "${KHA_HOST_KEY:-}" ]]; then
  echo "kubeadm-ha: ERROR: no pinned host key for $KHA_NODE ($KHA_HOST:$port); refusing to connect" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chmod 0700 "$work"
cat >"$work/key"
chmod 0600 "$work/key"

# known_hosts names a host bare on port 22 and as [host]:port elsewhere
known_name() { if [[ "$2" == 22 ]]; then printf '%s' "$1"; else printf '[%s]:%s' "$1" "$2"; fi; }
: >"$work/known_hosts"
if [[ -n "${KHA_HOST_KEY:-}" ]]; then
  printf '%s %s\n' "$(known_name "$KHA_HOST" "$port")" "$KHA_HOST_KEY" >>"$work/known_hosts"
fi

checking=yes
if [[ "$mode" == scan ]]; then checking=accept-new; fi
common=(-i "$work/key" -o BatchMode=yes -o IdentitiesOnly=yes -o "StrictHostKeyChecking=$checking"
  -o "UserKnownHostsFile=$work/known_hosts" -o GlobalKnownHostsFile=/dev/null -o HashKnownHosts=no
  -o LogLevel=ERROR -o "ConnectTimeout=$timeout")
opts=("${common[@]}" -p "$port")
if [[ "$mode" == check ]]; then
  # the host key is verified before authentication: then refuse every method, and the host answers
  # "Permission denied", which here means the key matched
  opts+=(-o PubkeyAuthentication=no -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no
    -o HostbasedAuthentication=no -o GSSAPIAuthentication=no)
fi
if [[ -n "${KHA_BASTION:-}" ]]; then
  jump_user="${KHA_BASTION%%@*}"
  jump_rest="${KHA_BASTION#*@}"
  jump_host="${jump_rest%:*}"
  jump_port="${jump_rest##*:}"
  if [[ -n "${KHA_BASTION_HOST_KEY:-}" ]]; then
    printf '%s %s\n' "$(known_name "$jump_host" "$jump_port")" "$KHA_BASTION_HOST_KEY" >>"$work/known_hosts"
  elif [[ "$mode" != scan ]]; then
    echo "kubeadm-ha: ERROR: no pinned host key for the bastion $jump_host:$jump_port; refusing to connect" >&2
    exit 1
  fi
  # ssh runs ProxyCommand through a shell: every piece is quoted for it
  printf -v proxy '%q ' ssh "${common[@]}" -p "$jump_port" -W '%h:%p' "$jump_user@$jump_host"
  opts+=(-o "ProxyCommand=$proxy")
fi

fingerprints() { ssh-keygen -l -f "$work/known_hosts" 2>/dev/null | awk '{print $2}' | paste -sd, -; }

# ssh exits 255 for its own errors; these say the host answered and refused us
changed='REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed|no matching host key'
refused='Permission denied|Too many authentication failures'
for ((attempt = 1; attempt <= tries; attempt++)); do
  status=0
  # shellcheck disable=SC2029 # the remote shell command is meant to expand here
  printf '%s' "${KHA_REMOTE_PROGRAM:-}" | ssh "${opts[@]}" "$user@$KHA_HOST" "$shell" 2>"$work/stderr" || status=$?
  if [[ $status -ne 255 ]]; then
    cat "$work/stderr" >&2
    if [[ "$mode" == scan && $status -eq 0 ]]; then
      seen=$(ssh-keygen -F "$(known_name "$KHA_HOST" "$port")" -f "$work/known_hosts" 2>/dev/null | awk '!/^#/ {print $2, $3; exit}' || true)
      if [[ -z "$seen" ]]; then
        echo "kubeadm-ha: ERROR: $KHA_NODE ($KHA_HOST:$port) let us in but ssh recorded no host key for it" >&2
        exit 1
      fi
      printf '%s\n' "$seen"
    fi
    exit "$status"
  fi
  if grep -Eq "$changed" "$work/stderr"; then
    offered=$(grep -A1 'sent by the remote host is' "$work/stderr" | grep -Eo 'SHA256:[A-Za-z0-9+/]+' | head -n1 || true)
    where=$(grep -Eo 'Host key for [^ ]+ has changed' "$work/stderr" | awk '{print $4}' | head -n1 || true)
    echo "kubeadm-ha: ERROR: $KHA_NODE ($KHA_HOST:$port): the SSH host key${where:+ of $where} is not the pinned one:" \
      "pinned $(fingerprints), offered ${offered:-a key of another type}. Nothing was sent to it." \
      "If the host was reinstalled, put its new key in config (hosts[].hostKey or ssh.knownHostsFile); otherwise find out who answers at that address." >&2
    exit 1
  fi
  if [[ "$mode" == check ]] && grep -Fq "$user@$KHA_HOST: Permission denied" "$work/stderr"; then
    exit 0 # the pinned key matched; no login was attempted
  fi
  if grep -Eq "$refused" "$work/stderr"; then
    cat "$work/stderr" >&2
    echo "kubeadm-ha: ERROR: $KHA_NODE ($KHA_HOST:$port) refused the SSH login as $user: $(grep -Eo "$refused" "$work/stderr" | head -n1); fix the key or user, then try again" >&2
    exit 1
  fi
  cat "$work/stderr" >&2
  echo "kubeadm-ha: $KHA_NODE ($KHA_HOST:$port) unreachable (attempt $attempt/$tries)" >&2
  if ((attempt < tries)); then sleep 2; fi
done
case "$mode" in
  run) echo "kubeadm-ha: WARNING: skipped the reset of $KHA_NODE: host unreachable; clean it by hand if it comes back" >&2 ;;
  fetch)
    echo "kubeadm-ha: ERROR: $KHA_NODE ($KHA_HOST:$port) unreachable: nothing was copied from it" >&2
    exit 1
    ;;
  check) echo "kubeadm-ha: WARNING: could not check the host key of $KHA_NODE: host unreachable" >&2 ;;
  scan)
    echo "kubeadm-ha: ERROR: $KHA_NODE ($KHA_HOST:$port) unreachable: no host key to trust yet" >&2
    exit 1
    ;;
esac
exit 0
