#!/usr/bin/env bash
# Unpacks Debian packages and their library dependencies into a staging tree, without installing
# anything on this machine:
#   debroot.sh resolve PKG...          print "name=version" for PKG... and the library packages they
#                                      need (Depends/Pre-Depends, recursively, following only
#                                      packages named lib* or given on the command line)
#   debroot.sh unpack STAGING PKG...   `apt-get download` what resolve lists (cached by file name
#                                      in $KHA_CACHE/artifacts/debs), then `dpkg-deb -x` each into
#                                      STAGING. Maintainer scripts never run; image scripts add what
#                                      they would have made (symlinks, users).
# Non-library dependencies (debconf, nginx-common, iproute2, ...) are left out on purpose: the
# image scripts copy only the binaries they run plus the shared libraries those need
# (go/rootcopy), which fails loudly if a needed library is missing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
DEBS="$KHA_CACHE/artifacts/debs"

apt_ready() {
  if [[ -z "$(apt-cache policy libc6 2>/dev/null | awk '/Candidate:/ && $2 != "(none)" { print $2 }')" ]]; then
    log "apt has no package lists yet: apt-get update"
    apt-get update -q >/dev/null
  fi
}

# Library packages: lib*, and the few that are named otherwise.
is_library() { [[ "$1" == lib* || "$1" == zlib1g ]]; }

# "name version file" of each package's candidate, one apt-cache call; file is what
# `apt-get download` names it (an epoch's colon becomes %3a).
show() {
  apt-cache show --no-all-versions "$@" 2>/dev/null | awk '
    /^Package:/ { p = $2 } /^Version:/ { v = $2 } /^Architecture:/ { a = $2 }
    /^Filename:/ { f = v; gsub(/:/, "%3a", f); print p, v, p "_" f "_" a ".deb" }'
}

resolve() {
  apt_ready
  local -A seen=() seeds=()
  local -a queue=("$@") next=()
  local p dep
  for p in "$@"; do seeds[$p]=1; done
  # breadth first, one apt-cache call per level: Depends and Pre-Depends; of a|b alternatives
  # the first; a virtual <x> by its first provider
  while ((${#queue[@]} > 0)); do
    for p in "${queue[@]}"; do seen[$p]=1; done
    next=()
    while read -r dep; do
      [[ -z "$dep" || -n "${seen[$dep]:-}" ]] && continue
      is_library "$dep" || [[ -n "${seeds[$dep]:-}" ]] || continue
      seen[$dep]=1
      next+=("$dep")
    done < <(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances "${queue[@]}" 2>/dev/null | awk '
        /^ *\|?(Pre)?Depends:/ {
          alt_skip = skip; skip = ($1 ~ /^\|/)
          name = $2; sub(/:.*/, "", name)
          if (alt_skip) next
          if (name ~ /^</) { want_provider = 1; next }
          want_provider = 0; print name; next
        }
        want_provider && /^    [^ ]/ { name = $1; sub(/:.*/, "", name); print name; want_provider = 0; next }
        { want_provider = 0; skip = 0 }' | sort -u)
    queue=("${next[@]}")
  done
  local -a all=("${!seen[@]}")
  local out
  out="$(show "${all[@]}" | sort -u)"
  for p in "${all[@]}"; do
    grep -q "^$p " <<<"$out" || die "no installable package $p in the apt sources"
  done
  awk '{ print $1 "=" $2 }' <<<"$out"
}

unpack() {
  local staging="${1:?usage: debroot.sh unpack STAGING PKG...}"
  shift
  local -a pins missing=()
  mapfile -t pins < <(resolve "$@")
  mkdir -p "$DEBS" "$staging"
  local pin file
  local -a files=()
  local -A fileof=()
  local name ver
  while read -r name ver file; do fileof[$name=$ver]="$file"; done < <(show "${pins[@]%%=*}")
  for pin in "${pins[@]}"; do
    file="${fileof[$pin]:-}"
    [[ -n "$file" ]] || die "apt has no file for $pin"
    files+=("$file")
    [[ -s "$DEBS/$file" ]] || missing+=("$pin")
  done
  if ((${#missing[@]} > 0)); then
    log "apt-get download ${missing[*]}"
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null)
  fi
  for file in "${files[@]}"; do
    [[ -s "$DEBS/$file" ]] || die "apt-get download did not produce $file"
    dpkg-deb -x "$DEBS/$file" "$staging"
  done
  printf '%s\n' "${pins[@]}"
}

case "${1:-}" in
  resolve) shift; resolve "$@" ;;
  unpack) shift; unpack "$@" ;;
  *) die "usage: debroot.sh resolve PKG... | unpack STAGING PKG..." ;;
esac
