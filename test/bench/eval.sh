#!/usr/bin/env bash
# Program evaluation under mocks (test/bench/scale.ts), compiled to JavaScript first: the package
# ships compiled (dist/), and compiled code is what an embedding program runs. Through ts-node every
# resource's stack capture (Pulumi records where each resource was made, and every promise it
# tracks) goes through source-map-support, about three times the cost of the whole evaluation.
# Pulumi's Node.js runner registers source-map-support for compiled programs too; program.js turns it
# off for dist/ (with it, 100 nodes took 9.7 s here instead of 3.6 s), so this runs without it.
#   bash test/bench/eval.sh            sizes from KHA_BENCH_SIZES (default 3,10,30,100,300)
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$repo" && npx --no-install tsc -p tsconfig.json --outDir "$out" --noEmit false --noCheck --sourceMap false \
  --declaration false --incremental false)
# what the compiled files read beside them: the host scripts, the test fixtures, the packages
ln -s "$repo/node_modules" "$out/node_modules"
ln -s "$repo/components/scripts" "$out/components/scripts"
ln -s "$repo/test/fixtures" "$out/test/fixtures"
node "$out/test/bench/scale.js"
