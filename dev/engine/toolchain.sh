#!/usr/bin/env bash
# dev/engine/toolchain.sh: THE entry point for the offline Pulumi engine.
#
# Builds (or reuses) every binary `pulumi up` needs, from upstream sources only, with nothing but
# the Go module proxy, then installs the provider plugins:
#
#   piece                      source                                          script
#   pulumi (CLI + engine)      github.com/pulumi/pulumi/pkg/v3 (module proxy)   build-cli.sh
#   pulumi-language-nodejs     shared upstream folder (pulumi tag v<version>)   build-language-host.sh
#   pulumi-resource-pulumi-nodejs  upstream's script in sdk/v3/nodejs/dist (module proxy)
#   pulumi-resource-command    shared upstream folder (pulumi-command v1.2.1)   build-command.sh
#   pulumi-resource-kubernetes github.com/pulumi/pulumi-kubernetes/provider/v4  build-kubernetes.sh
#   pulumi-resource-tls        upstream terraform-provider-tls, bridged        build-tls.sh
#
# Versions come from package.json: the CLI and the language host are those of @pulumi/pulumi, each
# plugin that of its npm package (the engine asks for exactly that version). Each build script
# caches its binary in $KHA_TOOLCHAIN/<piece>-<version>/ (KHA_CACHE=~/.cache/kubeadm-ha), keyed by
# a hash of its inputs; KHA_REBUILD=1 rebuilds. Then:
#   $KHA_TOOLCHAIN/bin/{pulumi,pulumi-language-nodejs,pulumi-resource-pulumi-nodejs}  (on PATH)
#   $PULUMI_HOME/plugins/resource-<name>-v<version>/    (`pulumi plugin install --file`)
# and `source dev/engine/env.sh`. Build times: dev/engine/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=dev/engine/env.sh
source "$here/env.sh"
# shellcheck source=dev/engine/lib-build.sh
source "$here/lib-build.sh"
bin_dir="$KHA_TOOLCHAIN/bin"

log() { printf '[toolchain] %s\n' "$*" >&2; }
timings=()
# timed LABEL CMD...: run, and remember the wall time and the outcome for the summary.
timed() {
  local label=$1 t0=$SECONDS rc=0
  shift
  "$@" || rc=$?
  timings+=("$(printf '%-32s %5ss%s' "$label" "$((SECONDS - t0))" "$([[ $rc == 0 ]] || echo "  FAILED ($rc)")")")
  return "$rc"
}

for tool in go node jq; do
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

# shellcheck disable=SC2317  # called through timed
npm_plugin_version() { # <package>: the plugin version the installed SDK asks the engine for
  node -p 'const p = require(process.argv[1]); (p.pulumi && p.pulumi.version) || p.version' \
    "$repo/node_modules/@pulumi/$1/package.json"
}

# link_bin <file>: hard link into bin/ (a copy across file systems). Not a symlink: pulumi looks
# for language hosts beside its own, symlink-resolved, executable.
link_bin() { ln -f "$1" "$bin_dir/" 2>/dev/null || cp -f "$1" "$bin_dir/"; }

# The dynamic-provider plugin: upstream ships it as a script next to the language host, in
# sdk/nodejs/dist of the pulumi repository, which the sdk/v3 module contains.
# shellcheck disable=SC2317  # called through timed
dynamic_provider_plugin() (
  kb_go_env
  dir=$(cd "$(mktemp -d)" && go mod download -json "github.com/pulumi/pulumi/sdk/v3@v$1" | jq -r .Dir)
  install -m 0755 "$dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bin_dir/pulumi-resource-pulumi-nodejs"
)

# install_plugin <name>: the built plugin into PULUMI_HOME, at the version the SDK asks for.
# shellcheck disable=SC2317  # called through timed
install_plugin() {
  local name=$1 version want bin reported
  version=$(kb_npm_version "$name")
  want=$(npm_plugin_version "$name")
  if [[ "$version" != "$want" ]]; then
    log "node_modules/@pulumi/$name asks for plugin $want but package.json pins $version: run npm ci"
    return 1
  fi
  bin="$KHA_TOOLCHAIN/$name-$version/pulumi-resource-$name"
  if cmp -s "$bin" "$PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name"; then
    log "plugin resource-$name-v$version already installed"
    return 0
  fi
  # before installing: what the plugin itself says it is (the engine would refuse a mismatch
  # later, less clearly)
  reported=$(pulumi package get-schema "$bin" 2>/dev/null | jq -r .version) || reported="(no schema)"
  if [[ "$reported" != "$version" ]]; then
    log "$bin reports version $reported in its schema, want $version"
    return 1
  fi
  pulumi plugin install resource "$name" "$version" --file "$bin" --reinstall
}

pulumi_version=$(kb_npm_version pulumi)
rc=0
timed "pulumi CLI v$pulumi_version" bash "$here/build-cli.sh" || rc=1
timed "pulumi-language-nodejs" bash "$here/build-language-host.sh" || rc=1
if ((rc == 0)); then
  link_bin "$KHA_TOOLCHAIN/cli-$pulumi_version/pulumi"
  link_bin "$KHA_TOOLCHAIN/language-nodejs-$pulumi_version/pulumi-language-nodejs"
  timed "pulumi-resource-pulumi-nodejs" dynamic_provider_plugin "$pulumi_version" || rc=1
fi
for p in command tls kubernetes; do
  timed "provider $p $(kb_npm_version "$p")" bash "$here/build-$p.sh" || { rc=1; continue; }
  if ((rc == 0)); then timed "install $p" install_plugin "$p" || rc=1; fi
done

log "timings:"
for t in "${timings[@]}"; do log "  $t"; done
if ((rc == 0)); then
  log "ready: $(pulumi version), host $(pulumi-language-nodejs -version); source dev/engine/env.sh"
  pulumi plugin ls >&2
else
  log "FAILED"
fi
exit "$rc"
