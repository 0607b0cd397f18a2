#!/usr/bin/env bash
# Tests of the command provider plugin (tools/command-provider):
#   * go vet and the Go tests of every package: logging modes, previous-output
#     environment, dial error limit, copy rules, diff/replace decisions, secrets
#     and preview through pulumi-go-provider's in-process server, local commands;
#   * the SSH tests run against a real OpenSSH sshd that the Go tests start on
#     127.0.0.1:<free port> with a throw-away host key and authorized_keys, and
#     kill by PID when done. KHA_REQUIRE_SSHD=1 makes a missing sshd a failure
#     rather than a skip; pass --install to apt-get install openssh-server first.
# Usage: tools/command-provider/test.sh [--install] [extra go test args]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

if [[ "${1:-}" == --install ]]; then
  shift
  if [[ ! -x /usr/sbin/sshd || ! -x /usr/lib/openssh/sftp-server ]]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-server openssh-sftp-server >/dev/null
  fi
fi

export GOFLAGS="${GOFLAGS:-} -mod=mod"
export KHA_REQUIRE_SSHD="${KHA_REQUIRE_SSHD:-1}"
# The SSH tests must not pick up the caller's agent.
unset SSH_AUTH_SOCK

go vet ./...
go test -count=1 "$@" ./...
