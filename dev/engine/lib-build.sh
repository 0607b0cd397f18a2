# shellcheck shell=bash
# Shared by dev/engine/build-*.sh: the cache, lock and Go settings of one plugin or engine build.
#
#   source "$here/lib-build.sh"
#   kb_init NAME VERSION BINARY      # -> $kb_out/$kb_bin under $KHA_TOOLCHAIN/NAME-VERSION/, lock held
#   kb_want "$(kb_hash FILE_OR_DIR...)"
#   kb_cached && exit 0              # binary present and built from the same inputs
#   ... build into "$kb_tmp" ...
#   kb_check_version --version       # where the binary has a version flag (plugins without one are
#   kb_install                       # checked by dev/engine/toolchain.sh through their schema)
#
# Builds never reach anything but the Go module proxy (GOPROXY without `direct`), run cgo-free and
# with the machine's own Go (GOTOOLCHAIN=local), and a half-finished build never looks cached: the
# binary is moved into place and the input hash written only after the version check passed.

kb_log() { printf '[build-%s] %s\n' "$kb_name" "$*" >&2; }
kb_elapsed() { echo "$((SECONDS - kb_start))s"; }

kb_go_env() {
  export GOPROXY="${GOPROXY_OVERRIDE:-https://proxy.golang.org}"
  export GOFLAGS="-mod=mod -buildvcs=false"
  export CGO_ENABLED=0
  export GOTOOLCHAIN=local
}

# kb_init NAME VERSION BINARY: output paths, the lock, the Go environment.
kb_init() {
  kb_name=$1 kb_version=$2
  kb_start=$SECONDS
  local toolchain="${KHA_TOOLCHAIN:-${KHA_CACHE:-$HOME/.cache/kubeadm-ha}/toolchain}"
  kb_out="$toolchain/$1-$2"
  kb_bin="$kb_out/$3"
  kb_tmp="$kb_bin.tmp.$$"
  command -v go >/dev/null || { kb_log "go is not on PATH"; exit 1; }
  mkdir -p "$kb_out"
  exec 9>"$kb_out/.lock"
  flock 9
  kb_go_env
  # shellcheck disable=SC2064  # expand now: the path is fixed
  trap "rm -f '$kb_tmp'" EXIT
}

# kb_hash PATH...: one hash of every file under the paths (regular files, sorted by path), the
# calling script, this helper and the Go version.
kb_hash() {
  {
    local p
    for p in "$@"; do
      if [[ -d "$p" ]]; then
        (cd "$p" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
      else
        sha256sum <"$p"
      fi
    done
    sha256sum <"$0"
    sha256sum <"${BASH_SOURCE[0]}"
    go env GOVERSION GOOS GOARCH
  } | sha256sum | cut -d' ' -f1
}

kb_want() { kb_stamp_want=$1; }

# kb_npm_version PACKAGE: the version package.json pins for @pulumi/PACKAGE (the engine asks a
# plugin for exactly its SDK's version; CLI and language host follow @pulumi/pulumi)
kb_npm_version() {
  node -p 'require(process.argv[1]).dependencies[process.argv[2]]' \
    "$(dirname "${BASH_SOURCE[0]}")/../../package.json" "@pulumi/$1"
}

# kb_cached: true (and says so) when the binary was built from the wanted inputs.
kb_cached() {
  if [[ "${KHA_REBUILD:-0}" != 1 && -x "$kb_bin" && "$(cat "$kb_out/inputs.sha256" 2>/dev/null)" == "$kb_stamp_want" ]]; then
    kb_log "reusing $kb_bin (inputs ${kb_stamp_want:0:12}) in $(kb_elapsed)"
    return 0
  fi
  return 1
}

# kb_check_version ARGS...: "$kb_tmp ARGS" must print the version (or v<version>) first.
kb_check_version() {
  local got
  got=$("$kb_tmp" "$@" 2>/dev/null | head -n1) || true
  [[ "$got" == "$kb_version" || "$got" == "v$kb_version" ]] && return 0
  kb_log "built binary reports version '$got', want $kb_version"
  exit 1
}

# kb_install: move the checked binary into place, then record the input hash.
kb_install() {
  chmod 0755 "$kb_tmp"
  mv -f "$kb_tmp" "$kb_bin"
  printf '%s\n' "$kb_stamp_want" >"$kb_out/inputs.sha256"
  kb_log "built $kb_bin in $(kb_elapsed)"
}

# kb_upstream_dir NAME: the directory of an upstream source tree from the shared upstream folder
# (see its README): $KHA_UPSTREAM, else ../shared/upstream beside this checkout, else beside the
# checkout it was cloned from (a fresh clone in /tmp still finds it).
kb_upstream_dir() {
  local repo candidates=() c origin
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  [[ -n "${KHA_UPSTREAM:-}" ]] && candidates+=("$KHA_UPSTREAM")
  candidates+=("$repo/../shared/upstream")
  origin="$(git -C "$repo" remote get-url origin 2>/dev/null || true)"
  [[ -n "$origin" && -d "$origin" ]] && candidates+=("$origin/../shared/upstream")
  for c in "${candidates[@]}"; do
    if [[ -d "$c/$1" ]]; then
      (cd "$c/$1" && pwd)
      return 0
    fi
  done
  kb_log "upstream source $1 not found (looked in: ${candidates[*]}); set KHA_UPSTREAM"
  return 1
}

# kb_workdir [SRC]: a fresh temp dir $kb_work (removed on exit), holding a writable copy of SRC.
kb_workdir() {
  kb_work=$(mktemp -d "${TMPDIR:-/tmp}/kha-build-$kb_name.XXXXXX")
  # shellcheck disable=SC2064  # expand now: the paths are fixed
  trap "rm -f '$kb_tmp'; rm -rf '$kb_work'" EXIT
  if [[ $# -gt 0 ]]; then
    cp -R "$1/." "$kb_work/"
    chmod -R u+w "$kb_work"
  fi
}
