#!/usr/bin/env bash
# Writes the files of a bundle read from stdin, atomically and only when their content changed.
#
# Bundle format, one file after another:
#   file <octal mode> <absolute path>
#   <base64 of the content, any number of lines>
#   end
# Paths are written under KHA_ROOT (default /), so tests can aim the script at a temporary root.
# Prints "changed <path>" for each file it rewrote, "unchanged <path>" otherwise. File content
# (certificates, keys, tokens) is never printed.
set -euo pipefail

root="${KHA_ROOT:-}"
state=idle
mode=""
path=""
tmp=""
cleanup() { if [[ -n "$tmp" && -e "$tmp" ]]; then rm -f "$tmp"; fi; }
trap cleanup EXIT

finish_file() {
  local target="$root$path"
  install -d -m 0755 "$(dirname "$target")"
  local decoded
  decoded=$(mktemp "$(dirname "$target")/.kha.XXXXXX")
  base64 -d < "$tmp" > "$decoded"
  chmod "$mode" "$decoded"
  if [[ -f "$target" ]] && cmp -s "$decoded" "$target" && [[ "$(stat -c %a "$target")" == "${mode#0}" ]]; then
    rm -f "$decoded"
    echo "unchanged $path"
  else
    mv -f "$decoded" "$target"
    echo "changed $path"
  fi
  rm -f "$tmp"
  tmp=""
}

while IFS= read -r line || [[ -n "$line" ]]; do
  case "$state:$line" in
    idle:file\ *)
      read -r _ mode path <<< "$line"
      if [[ ! "$mode" =~ ^0?[0-7]{3}$ || "$path" != /* || "$path" == *..* ]]; then
        echo "put-files: bad header: file $mode $path" >&2
        exit 2
      fi
      tmp=$(mktemp)
      state=body
      ;;
    idle:) ;;
    idle:*)
      echo "put-files: expected 'file <mode> <path>', got something else" >&2
      exit 2
      ;;
    body:end)
      finish_file
      state=idle
      ;;
    body:*)
      printf '%s\n' "$line" >> "$tmp"
      ;;
  esac
done

if [[ "$state" != idle ]]; then
  echo "put-files: bundle ended inside $path" >&2
  exit 2
fi
