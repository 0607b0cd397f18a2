#!/usr/bin/env bash
# Writes the files of a bundle read from stdin, atomically and only when their content changed.
#
# Bundle format, one file after another:
#   text <octal mode> <absolute path> [-n]
#   |<a line of the content>           (any number of lines, each after a '|')
#   end
# for text (no NUL byte), which compresses well where the bundle travels gzip-compressed; "-n"
# when the content does not end with a newline. Any other content:
#   file <octal mode> <absolute path>
#   <base64 of the content, any number of lines>
#   end
# Paths are written under KHA_ROOT (default /), so tests can aim the script at a temporary root.
# Prints "changed <path>" for each file it rewrote, "unchanged <path>" otherwise. File content
# (certificates, keys, tokens) is never printed.
set -euo pipefail
export LC_ALL=C # bytes, whatever the host's locale

root="${KHA_ROOT:-}"
state=idle
mode=""
path=""
final_newline=yes
text=""
tmp=""
cleanup() { if [[ -n "$tmp" && -e "$tmp" ]]; then rm -f "$tmp"; fi; }
trap cleanup EXIT

finish_file() {
  local target="$root$path"
  install -d -m 0755 "$(dirname "$target")"
  local decoded
  decoded=$(mktemp "$(dirname "$target")/.kha.XXXXXX")
  if [[ "$state" == text ]]; then
    if [[ "$final_newline" == no ]]; then text=${text%$'\n'}; fi
    printf '%s' "$text" > "$decoded"
    text=""
  else
    base64 -d < "$tmp" > "$decoded"
    rm -f "$tmp"
    tmp=""
  fi
  chmod "$mode" "$decoded"
  if [[ -f "$target" ]] && cmp -s "$decoded" "$target" && [[ "$(stat -c %a "$target")" == "${mode#0}" ]]; then
    rm -f "$decoded"
    echo "unchanged $path"
  else
    mv -f "$decoded" "$target"
    echo "changed $path"
  fi
}

header() {
  local kind flag
  read -r kind mode path flag <<< "$1"
  if [[ ! "$mode" =~ ^0?[0-7]{3}$ || "$path" != /* || "$path" == *..* ]] \
    || [[ -n "$flag" && ( "$kind" != text || "$flag" != -n ) ]]; then
    echo "put-files: bad header: $kind $mode $path $flag" >&2
    exit 2
  fi
  final_newline=yes
  if [[ "$flag" == -n ]]; then final_newline=no; fi
}

while IFS= read -r line || [[ -n "$line" ]]; do
  case "$state:$line" in
    idle:text\ *)
      header "$line"
      text=""
      state=text
      ;;
    idle:file\ *)
      header "$line"
      tmp=$(mktemp)
      state=base64
      ;;
    idle:) ;;
    idle:*)
      echo "put-files: expected 'text <mode> <path>' or 'file <mode> <path>', got something else" >&2
      exit 2
      ;;
    text:end | base64:end)
      finish_file
      state=idle
      ;;
    text:\|*)
      text+="${line:1}"$'\n'
      ;;
    text:*)
      echo "put-files: a line of $path without its '|'" >&2
      exit 2
      ;;
    base64:*)
      printf '%s\n' "$line" >> "$tmp"
      ;;
  esac
done

if [[ "$state" != idle ]]; then
  echo "put-files: bundle ended inside $path" >&2
  exit 2
fi
