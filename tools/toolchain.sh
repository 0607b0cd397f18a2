#!/usr/bin/env bash
# tools/toolchain.sh: THE entry point for the offline Pulumi engine.
#
# Builds (or reuses) every binary `pulumi up` needs for this project, using
# nothing but the Go module proxy, then installs the provider plugins:
#
#   $KHA_CACHE/toolchain/                       (KHA_CACHE=~/.cache/kubeadm-ha)
#     cli-3.259.0/pulumi                        Pulumi CLI + engine
#     language-nodejs-v3.259.0+kubeadm-ha.1/    our Node.js language host
#     command-1.2.1/pulumi-resource-command     tools/build-command.sh
#     tls-5.6.1/pulumi-resource-tls             tools/build-tls.sh
#     kubernetes-4.34.2/pulumi-resource-kubernetes  tools/build-kubernetes.sh
#     bin/{pulumi,pulumi-language-nodejs}       hard links: what PATH gets
#     bin/pulumi-resource-pulumi-nodejs         copy of the tools/ script (dynamic providers)
#   $KHA_CACHE/pulumi-home/plugins/resource-<name>-v<version>/   (PULUMI_HOME)
#
# then `source tools/env.sh`. Each component is reused when its binary is
# present, reports the expected version and was built from the same inputs
# (hash of tools/build-cli.sh, and for the host of its main.go, plus the Go
# version); KHA_REBUILD=1 forces a rebuild of the CLI and the host. The
# provider scripts keep their own caches. A provider script that does not
# exist yet is skipped with a notice.
#
# Recipe
# ------
# * Version 3.259.0 for everything Pulumi: it is the newest release whose
#   pkg/v3 and sdk/v3 module zips the offline module proxy serves (3.260.0 and
#   later are refused), and package.json pins @pulumi/pulumi 3.259.0 to match.
# * CLI (tools/build-cli.sh cli): a throwaway wrapper module in `mktemp -d`
#   requiring github.com/pulumi/pulumi/pkg/v3 and sdk/v3 at v3.259.0, with
#   pkg's one non-local replace copied
#   (github.com/atotto/clipboard => github.com/tgummerer/clipboard
#   v0.0.0-20241001131231-d02d263e614e; pkg's `sdk/v3 => ../sdk` replace is
#   local and becomes the plain sdk/v3 requirement), then
#   `go build -trimpath github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` with
#   CGO_ENABLED=0, GOPROXY=https://proxy.golang.org (no `direct`),
#   GOFLAGS=-mod=mod, and two -X stamps: the version (v3.259.0) and a default
#   plugin-download override that sends every plugin download to a closed
#   loopback port (see tools/README.md, "Offline rules"). No transitive
#   dependency needed a pin: the proxy served all of them (checksums are
#   verified through the proxy's sumdb endpoint).
# * Language host (tools/build-cli.sh nodejs): OUR OWN, tools/language-host/
#   main.go (~550 lines with comments), built in the same kind of wrapper (it requires pkg/v3
#   too, only so that it resolves the CLI's exact build list and reuses its
#   GOCACHE: it then builds in seconds). Why not upstream's:
#     - the upstream host's module,
#       github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, is
#       refused by the proxy at every version;
#     - the newest sdk/v3 that still carries an in-tree copy is v3.68.0 (May
#       2023; package github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/
#       pulumi-language-nodejs, moved to its own module in v3.69.0). It builds
#       and passes our smoke test, but it is compiled against that release's
#       protocol: no Handshake, no GetRequiredPackages, it ignores the runtime
#       options the 3.259 engine sends in ProgramInfo (typescript, tsconfig,
#       nodeargs), and its resource-monitor proxy answers Unimplemented to
#       every monitor RPC added since (GetDeploymentInfo, stack transforms,
#       resource and error hooks, RegisterPackage, SignalAndWaitForShutdown).
#       Tried: a program calling pulumi.runtime.registerResourceTransform
#       fails under it ("Cannot read properties of undefined (reading
#       'stack')") and works under ours;
#     - ours is compiled against sdk/v3 v3.259.0's own pulumirpc types, lets
#       the Node SDK talk to the engine's monitor directly, and is small
#       enough to read in one sitting (its package comment lists the exact
#       surface, and the one unsupported feature: synchronous invokes).
# * Dynamic providers: tools/pulumi-resource-pulumi-nodejs, a 3-line plugin
#   that runs @pulumi/pulumi/cmd/dynamic-provider, copied beside `pulumi`.
# * Providers: tools/build-command.sh, tools/build-tls.sh and
#   tools/build-kubernetes.sh (see their headers; command and kubernetes are
#   our own implementations, tls is the bridged upstream), installed with
#   `pulumi plugin install resource <name> <version> --file <binary>`, where
#   <version> is the `pulumi.version` of node_modules/@pulumi/<name>/package.json
#   (the engine wants an exact match). Providers of packages the program does
#   not use (aws, digitalocean) are loaded lazily and need not be installed.
#
# Timings on the 2-core VM: tools/README.md ("Build times").
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=tools/env.sh
source "$here/env.sh"

PULUMI_VERSION=3.259.0
HOST_VERSION="v${PULUMI_VERSION}+kubeadm-ha.1"
export PULUMI_VERSION HOST_VERSION

cli_dir="$KHA_TOOLCHAIN/cli-$PULUMI_VERSION"
host_dir="$KHA_TOOLCHAIN/language-nodejs-$HOST_VERSION"
bin_dir="$KHA_TOOLCHAIN/bin"

log() { printf '[toolchain] %s\n' "$*" >&2; }
timings=()
record() { # <label> <start epoch> <exit code>
  timings+=("$(printf '%-24s %5ss%s' "$1" "$(($(date +%s) - $2))" "$([[ $3 == 0 ]] || echo "  FAILED ($3)")")")
}

for tool in go node; do
  command -v "$tool" >/dev/null || { log "$tool is not on PATH"; exit 1; }
done
if [[ ! -f "$repo/node_modules/@pulumi/pulumi/package.json" ]]; then
  log "node_modules is missing: run npm ci --ignore-scripts in $repo first"
  exit 1
fi

mkdir -p "$KHA_TOOLCHAIN" "$bin_dir" "$PULUMI_HOME"
# One toolchain run at a time per cache.
exec 8>"$KHA_TOOLCHAIN/.toolchain.lock"
flock 8

# build_into <final dir> <build-cli.sh target>: build in a sibling temp dir,
# then swap it in, so an interrupted build never looks like a cached one.
build_into() {
  local final="$1" what="$2" tmp
  tmp="$(mktemp -d "$final.tmp.XXXXXX")"
  chmod 755 "$tmp"
  if ! "$here/build-cli.sh" "$what" "$tmp"; then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$final"
  mv "$tmp" "$final"
}

# inputs_hash FILE...: what a build depends on besides module versions.
inputs_hash() {
  {
    for f in "$@"; do sha256sum <"$f"; done
    go env GOVERSION GOOS GOARCH
  } | sha256sum | cut -d' ' -f1
}

ensure_cli() {
  local want have=""
  want="$(inputs_hash "$here/build-cli.sh")" || return
  [[ -x "$cli_dir/pulumi" ]] && have="$("$cli_dir/pulumi" version 2>/dev/null || true)"
  if [[ "${KHA_REBUILD:-0}" != 1 && "$have" == "v$PULUMI_VERSION" &&
    "$(cat "$cli_dir/.inputs.sha256" 2>/dev/null)" == "$want" ]]; then
    log "reusing $cli_dir/pulumi ($have)"
    return
  fi
  log "building the Pulumi CLI v$PULUMI_VERSION (cold: over 10 minutes on 2 cores)"
  build_into "$cli_dir" cli || return
  echo "$want" >"$cli_dir/.inputs.sha256"
  have="$("$cli_dir/pulumi" version)" || return
  [[ "$have" == "v$PULUMI_VERSION" ]] || { log "built CLI reports $have"; return 1; }
}

ensure_host() {
  local want have=""
  want="$(inputs_hash "$here/build-cli.sh" "$here/language-host/main.go")" || return
  [[ -x "$host_dir/pulumi-language-nodejs" ]] &&
    have="$("$host_dir/pulumi-language-nodejs" -version 2>/dev/null || true)"
  if [[ "${KHA_REBUILD:-0}" != 1 && "$have" == "$HOST_VERSION" &&
    "$(cat "$host_dir/.inputs.sha256" 2>/dev/null)" == "$want" ]]; then
    log "reusing $host_dir/pulumi-language-nodejs ($have)"
    return
  fi
  log "building the Node.js language host $HOST_VERSION"
  build_into "$host_dir" nodejs || return
  echo "$want" >"$host_dir/.inputs.sha256"
  have="$("$host_dir/pulumi-language-nodejs" -version)" || return
  [[ "$have" == "$HOST_VERSION" ]] || { log "built host reports $have"; return 1; }
}

# link_bin <file>: hard link into bin/ (a copy across file systems). Hard
# links, not symlinks: pulumi looks for language hosts beside its own,
# symlink-resolved, executable.
link_bin() {
  ln -f "$1" "$bin_dir/" 2>/dev/null || cp -f "$1" "$bin_dir/"
}

npm_plugin_version() { # <package>: the plugin version the engine will ask for
  node -e '
    const p = require(process.argv[1]);
    process.stdout.write((p.pulumi && p.pulumi.version) || p.version);
  ' "$repo/node_modules/@pulumi/$1/package.json"
}

# ensure_provider <name>: run tools/build-<name>.sh (it caches by itself into
# $KHA_TOOLCHAIN/<name>-<version>/) and install the plugin into PULUMI_HOME.
ensure_provider() {
  local name="$1" script="$here/build-$1.sh" version bin plugdir
  if [[ ! -f "$script" ]]; then
    log "SKIP provider $name: $script does not exist yet"
    return
  fi
  # Called in a `||` context, where set -e is off: check each step.
  version="$(npm_plugin_version "$name")" || return
  bash "$script" || return
  bin="$KHA_TOOLCHAIN/$name-$version/pulumi-resource-$name"
  if [[ ! -x "$bin" ]]; then
    log "$script finished but $bin is missing (plugin version $version from node_modules/@pulumi/$name)"
    return 1
  fi
  plugdir="$PULUMI_HOME/plugins/resource-$name-v$version"
  if cmp -s "$bin" "$plugdir/pulumi-resource-$name"; then
    log "plugin resource-$name-v$version already installed"
    return
  fi
  pulumi plugin install resource "$name" "$version" --file "$bin" --reinstall
}

rc=0
t0=$(date +%s)
ensure_cli || rc=$?
record "pulumi CLI" "$t0" "$rc"
if [[ $rc == 0 ]]; then
  link_bin "$cli_dir/pulumi"
  t0=$(date +%s)
  ensure_host || rc=$?
  record "pulumi-language-nodejs" "$t0" "$rc"
fi
if [[ $rc == 0 ]]; then
  link_bin "$host_dir/pulumi-language-nodejs"
  # Plugin serving pulumi.dynamic.Resource providers; pulumi finds it beside itself.
  cp -f "$here/pulumi-resource-pulumi-nodejs" "$bin_dir/"
  for p in command tls kubernetes; do
    t0=$(date +%s)
    prc=0
    ensure_provider "$p" || prc=$?
    record "provider $p" "$t0" "$prc"
    [[ $prc == 0 ]] || rc=$prc
  done
fi

log "timings:"
for t in "${timings[@]}"; do log "  $t"; done
if [[ $rc == 0 ]]; then
  log "ready: $(pulumi version), host $(pulumi-language-nodejs -version); source tools/env.sh"
else
  log "FAILED (exit $rc)"
fi
exit "$rc"
