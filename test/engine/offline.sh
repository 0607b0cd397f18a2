#!/usr/bin/env bash
# Run engine tests with no network but loopback, to prove they need none:
#
#   sudo test/engine/offline.sh                       # all test/engine/*.test.sh
#   sudo test/engine/offline.sh test/engine/smoke.test.sh
#
# Creates a network namespace of its own (kha-engine-offline-<pid>) holding
# only an "up" loopback interface, runs each test inside it, and deletes the
# namespace on exit. Needs root (ip netns). Exit status: 1 if any test failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [[ $EUID -ne 0 ]]; then
  echo "offline.sh: needs root for ip netns" >&2
  exit 1
fi
tests=("$@")
if ((${#tests[@]} == 0)); then
  tests=("$here"/*.test.sh)
fi

ns="kha-engine-offline-$$"
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip netns exec "$ns" ip link set lo up
echo "[offline] namespace $ns: $(ip netns exec "$ns" ip -brief link | tr -s ' ' | paste -sd';')"

failed=0
for t in "${tests[@]}"; do
  echo "[offline] $t"
  if ! ip netns exec "$ns" "$t"; then
    echo "[offline] FAILED: $t"
    failed=1
  fi
done
exit "$failed"
