#!/usr/bin/env bash
# Runs on the machine running Pulumi (a local command's delete): sends KHA_REMOTE_PROGRAM to a node
# over SSH and runs it there with KHA_REMOTE_SHELL. The private key arrives on stdin and only ever
# lives in a 0600 temporary file. If the node cannot be reached after a bounded number of tries,
# this reports it and succeeds, so `pulumi destroy` never wedges on a host that is gone. A host that
# answers but refuses the login (wrong key or user, a changed host key) is not gone: that fails,
# naming the host, so nothing is forgotten that still runs.
#
# Environment: KHA_NODE, KHA_HOST, KHA_PORT, KHA_USER, KHA_BASTION (user@host:port or empty),
# KHA_REMOTE_SHELL, KHA_REMOTE_PROGRAM, KHA_SSH_TRIES (default 3), KHA_SSH_TIMEOUT (default 10 s).
set -euo pipefail

: "${KHA_NODE:?}" "${KHA_HOST:?}" "${KHA_REMOTE_PROGRAM:?}"
port="${KHA_PORT:-22}"
user="${KHA_USER:-root}"
shell="${KHA_REMOTE_SHELL:-bash -s}"
tries="${KHA_SSH_TRIES:-3}"
timeout="${KHA_SSH_TIMEOUT:-10}"

keydir=$(mktemp -d)
trap 'rm -rf "$keydir"' EXIT
chmod 0700 "$keydir"
cat > "$keydir/key"
chmod 0600 "$keydir/key"

opts=(-i "$keydir/key" -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=no
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o "ConnectTimeout=$timeout" -p "$port")
if [[ -n "${KHA_BASTION:-}" ]]; then
  jump_user="${KHA_BASTION%%@*}"
  jump_rest="${KHA_BASTION#*@}"
  jump_host="${jump_rest%:*}"
  jump_port="${jump_rest##*:}"
  opts+=(-o "ProxyCommand=ssh -i $keydir/key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=$timeout -p $jump_port -W %h:%p $jump_user@$jump_host")
fi

# ssh exits 255 for its own errors; these say the host answered and refused us
refused='Permission denied|Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|Too many authentication failures|no matching host key'
for ((attempt = 1; attempt <= tries; attempt++)); do
  status=0
  # shellcheck disable=SC2029 # the remote shell command is meant to expand here
  printf '%s' "$KHA_REMOTE_PROGRAM" | ssh "${opts[@]}" "$user@$KHA_HOST" "$shell" 2>"$keydir/stderr" || status=$?
  cat "$keydir/stderr" >&2
  if [[ $status -ne 255 ]]; then
    exit "$status"
  fi
  if grep -Eq "$refused" "$keydir/stderr"; then
    echo "kubeadm-ha: ERROR: $KHA_NODE ($KHA_HOST:$port) refused the SSH login as $user: $(grep -Eo "$refused" "$keydir/stderr" | head -n1); fix the key, user or host key, then destroy again (nothing was reset)" >&2
    exit 1
  fi
  echo "kubeadm-ha: $KHA_NODE ($KHA_HOST:$port) unreachable (attempt $attempt/$tries)" >&2
  if ((attempt < tries)); then sleep 2; fi
done
echo "kubeadm-ha: WARNING: skipped the reset of $KHA_NODE: host unreachable; clean it by hand if it comes back" >&2
exit 0
