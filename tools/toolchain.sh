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
#     bin/{pulumi,pulumi-language-nodejs}       hard links: what PATH gets
#     bin/pulumi-resource-pulumi-nodejs         copy of the tools/ script (dynamic providers)
#   $KHA_CACHE/pulumi-home/plugins/resource-<name>-v<version>/   (PULUMI_HOME)
#
# then `source tools/env.sh`. Each component is keyed by its version and
# reused when its binary is present and reports that version (the language
# host also by the hash of its source); KHA_REBUILD=1 forces a rebuild of the
# CLI and the host. The provider scripts keep their own caches. A provider
# script that does not exist yet is skipped with a notice.
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
#   `go build -trimpath -ldflags "-X .../sdk/v3/go/common/version.Version=v3.259.0"
#   github.com/pulumi/pulumi/pkg/v3/cmd/pulumi` with CGO_ENABLED=0,
#   GOPROXY=https://proxy.golang.org (no `direct`), GOFLAGS=-mod=mod. No
#   transitive dependency needed a pin: the proxy served all of them.
# * Language host (tools/build-cli.sh nodejs): OUR OWN, tools/language-host/
#   main.go (~400 lines), built in the same kind of wrapper (it requires pkg/v3
#   too, only so that it resolves the CLI's exact build list and reuses its
#   GOCACHE). Why not upstream's:
#     - the upstream host's module,
#       github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, is
#       refused by the proxy at every version;
#     - sdk/v3 up to v3.6x still ships an in-tree copy
#       (github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs),
#       but it is compiled against that release's protocol: no Handshake, no
#       GetRequiredPackages, ignores the runtime options the 3.259 engine
#       sends in ProgramInfo (typescript, tsconfig, nodeargs), and its
#       resource-monitor proxy answers Unimplemented to every monitor RPC
#       added since (resource hooks, stack transforms, package registration,
#       SignalAndWaitForShutdown), silently disabling those SDK features;
#     - our host is compiled against sdk/v3 v3.259.0's own pulumirpc types,
#       is small enough to read in one sitting, and lets the Node SDK talk to
#       the engine's monitor directly (see its package comment for the exact
#       surface and the one unsupported feature, synchronous invokes).
# * Providers: tools/build-command.sh and tools/build-tls.sh (see their
#   headers), installed with `pulumi plugin install resource <name> <version>
#   --file <binary>`, where <version> is the `pulumi.version` of
#   node_modules/@pulumi/<name>/package.json (the engine wants an exact match).
#   Providers of packages the program does not use (aws, digitalocean,
#   kubernetes) are loaded lazily and need not be installed.
#
# Timings (2 shared cores; see tools/README.md for how they were measured):
#   CLI cold (empty module cache for its deps, cold GOCACHE) ~XX min,
#   CLI warm (GOCACHE hit, fresh wrapper) ~XX s; language host after the CLI
#   ~XX s; everything cached: ~1 s.
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

mkdir -p "$KHA_TOOLCHAIN" "$bin_dir" "$PULUMI_HOME"
# One toolchain run at a time per cache.
exec 8>"$KHA_TOOLCHAIN/.toolchain.lock"
flock 8

# build_into <final dir> <build-cli.sh target>: build in a sibling temp dir,
# then swap it in, so an interrupted build never looks like a cached one.
build_into() {
  local final="$1" what="$2" tmp
  tmp="$(mktemp -d "$final.tmp.XXXXXX")"
  if ! "$here/build-cli.sh" "$what" "$tmp"; then
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$final"
  mv "$tmp" "$final"
}

ensure_cli() {
  local have=""
  [[ -x "$cli_dir/pulumi" ]] && have="$("$cli_dir/pulumi" version 2>/dev/null || true)"
  if [[ "${KHA_REBUILD:-0}" != 1 && "$have" == "v$PULUMI_VERSION" ]]; then
    log "reusing $cli_dir/pulumi ($have)"
    return
  fi
  log "building the Pulumi CLI v$PULUMI_VERSION (cold: tens of minutes on 2 cores)"
  build_into "$cli_dir" cli || return
  have="$("$cli_dir/pulumi" version)" || return
  [[ "$have" == "v$PULUMI_VERSION" ]] || { log "built CLI reports $have"; return 1; }
}

host_inputs() {
  {
    sha256sum <"$here/language-host/main.go"
    sha256sum <"$here/build-cli.sh"
    go env GOVERSION GOOS GOARCH
  } | sha256sum | cut -d' ' -f1
}

ensure_host() {
  local want have=""
  want="$(host_inputs)" || return
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
  for p in command tls; do
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
