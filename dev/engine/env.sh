# shellcheck shell=bash
# Offline Pulumi environment for scripts and tests. Source it:
#
#   source dev/engine/env.sh          # after dev/engine/toolchain.sh has built the engine
#   kha_backend "$statedir"      # file:// state backend in a directory of yours
#
# It only sets variables and defines kha_backend; it builds nothing (run
# dev/engine/toolchain.sh for that) and does not enable `set -e` in your shell.

KHA_CACHE="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
export KHA_CACHE
# Where dev/engine/toolchain.sh puts the binaries; bin/ holds the current set.
export KHA_TOOLCHAIN="$KHA_CACHE/toolchain"
case ":$PATH:" in
  *":$KHA_TOOLCHAIN/bin:"*) ;;
  *) export PATH="$KHA_TOOLCHAIN/bin:$PATH" ;;
esac
# The project's Node.js (dev/engine/install-node.sh pins the version), ahead of the machine's: npm, npx,
# jest and Pulumi's language host all run on it.
KHA_NODE_VERSION="$(sed -n 's/^NODE_VERSION=\([0-9.]*\).*/\1/p' "$(dirname "${BASH_SOURCE[0]}")/install-node.sh")"
export KHA_NODE_BIN="$KHA_CACHE/node-v$KHA_NODE_VERSION/bin"
case ":$PATH:" in
  *":$KHA_NODE_BIN:"*) ;;
  *) export PATH="$KHA_NODE_BIN:$PATH" ;;
esac

# Plugins live in $PULUMI_HOME/plugins/resource-<name>-v<version>/ (installed
# by dev/engine/toolchain.sh); nothing is ever downloaded.
export PULUMI_HOME="${PULUMI_HOME:-$KHA_CACHE/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# this CLI writes a log of every run to $PULUMI_HOME/logs (its default cap is 500 MB); the lab runs
# hundreds of them on a disk the lab hosts also use, whose kubelets evict pods below 15% free
export PULUMI_LOG_ROTATION_MAX_TOTAL_MB="${PULUMI_LOG_ROTATION_MAX_TOTAL_MB:-100}"
# `pulumi install` and `pulumi plugin install` (without --file) download
# plugins regardless of the switch above: send every plugin download to a
# closed loopback port so they fail at once instead of going online. Our CLI
# has the same default built in (dev/engine/build-cli.sh); this covers others.
export PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES="${PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES:-.*=http://127.0.0.1:9/kubeadm-ha-offline-no-plugin-downloads}"

# Passphrase of the passphrase secrets provider. The default is deliberately a
# well-known, LAB-ONLY value: stacks under test/ and dev/lab/ hold throwaway keys
# for throwaway hosts. Real stacks must set their own PULUMI_CONFIG_PASSPHRASE
# (or PULUMI_CONFIG_PASSPHRASE_FILE) before sourcing this file; an exported
# value, even an empty one, is kept.
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+set}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="kubeadm-ha-lab-only-not-a-secret"
fi

# kha_backend DIR: keep Pulumi state as files in DIR (created if missing).
kha_backend() {
  if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: kha_backend <state dir>" >&2
    return 2
  fi
  mkdir -p "$1" || return
  PULUMI_BACKEND_URL="file://$(cd "$1" && pwd)" || return
  export PULUMI_BACKEND_URL
}
