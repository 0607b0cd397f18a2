# shellcheck shell=bash
# Image building shared by images.sh (the lab's images) and conformance-images.sh (the images
# upstream's conformance tests run): a FROM scratch root filled by a function, packed by go/ocitar
# into an OCI image layout tar (one gzip layer), rebuilt only when its inputs change (key in
# OUT/.keys/). Sourced after lib.sh; the sourcing script sets OUT (the tars), WORK (scratch) and
# TOOLS (ocitar, rootcopy).
# shellcheck disable=SC2034  # PATH_ENV is for the scripts that source this file

OUT="" WORK="" TOOLS=""
PATH_ENV="PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# /etc/passwd, /etc/group, nsswitch and /tmp: what a FROM scratch image needs for users and libc.
base_root() {
  local root="$1"
  install -d -m 0755 "$root/etc"
  install -d -m 1777 "$root/tmp"
  cat >"$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
P
  cat >"$root/etc/group" <<'G'
root:x:0:
nonroot:x:65532:
nogroup:x:65534:
G
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nprotocols: files\nservices: files\n' >"$root/etc/nsswitch.conf"
  chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf"
}

# apt package lists' contents: a changed archive (new candidates) changes the Debian images' keys
apt_lists_key() {
  local -a lists=()
  shopt -s nullglob
  lists=(/var/lib/apt/lists/*_Packages*)
  shopt -u nullglob
  ((${#lists[@]} > 0)) || { bash "$ARTIFACTS_SRC/debroot.sh" resolve libc6 >/dev/null; lists=(/var/lib/apt/lists/*_Packages*); }
  cat "${lists[@]}" | sha256sum | cut -c1-16
}

# build_image FILE KEY_INPUTS... -- populate_fn -- ocitar args...
build_image() {
  local file="$1" key_inputs=() populate ocargs=()
  shift
  while [[ "$1" != -- ]]; do key_inputs+=("$1"); shift; done
  shift
  populate="$1"
  shift 2
  ocargs=("$@")
  local key keyfile="$OUT/.keys/$file.key"
  key="$(inputs_key "$0" "$ARTIFACTS_SRC/lib.sh" "$ARTIFACTS_SRC/image-lib.sh" "$ARTIFACTS_SRC/go/ocitar/main.go" "${key_inputs[@]}" "${ocargs[@]}")"
  if [[ -s "$OUT/$file" && "$(cat "$keyfile" 2>/dev/null)" == "$key" ]]; then
    log "image $file: up to date"
    return 0
  fi
  local root="$WORK/root-$file"
  rm -rf "$root"
  mkdir -p "$root"
  base_root "$root"
  "$populate" "$root"
  local ref
  ref="$(SOURCE_DATE_EPOCH=0 "$TOOLS/ocitar" -root "$root" -o "$OUT/$file.part" "${ocargs[@]}")"
  mv "$OUT/$file.part" "$OUT/$file"
  mkdir -p "$OUT/.keys"
  echo "$key" >"$keyfile"
  rm -rf "$root"
  log "image $file: $ref ($(du -h "$OUT/$file" | cut -f1))"
}
