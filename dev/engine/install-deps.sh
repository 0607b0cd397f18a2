#!/usr/bin/env bash
# Installs the Debian packages the tests and the lab need, when missing (idempotent), and the
# project's Node.js (dev/engine/install-node.sh). Go comes with the machine.
set -euo pipefail

packages=(
  shellcheck openssl jq curl ca-certificates
  openssh-client openssh-server openssh-sftp-server
  iproute2 iptables util-linux procps psmisc
  debootstrap systemd-container
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # openssh-server's package starts sshd on port 22 of this machine; the tests start their own
  # sshd on loopback ports, so leave the system one as the package set it up.
  echo "install-deps: done"
fi
bash "$(dirname "${BASH_SOURCE[0]}")/install-node.sh"
