#!/usr/bin/env bash
# Packs the libraries and imports them from a fresh project with plain Node ESM (no TypeScript
# loader), exactly as a user who installs the tarballs with their peer dependencies would.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pnpm --dir "$root" build >/dev/null
for pkg in core adapters cli; do
  (cd "$root/packages/$pkg" && pnpm pack --pack-destination "$work" >/dev/null)
done

cd "$work"
npm init -y >/dev/null
peers=$(node -e '
  const core = require(process.argv[1])
  const adapters = require(process.argv[2])
  const all = { ...core.peerDependencies, ...adapters.peerDependencies }
  delete all["@effect-hosecloud/core"]
  console.log(Object.entries(all).map(([n, v]) => `${n}@${v}`).join(" "))
' "$root/packages/core/package.json" "$root/packages/adapters/package.json")
npm install --no-audit --no-fund --loglevel=error ./effect-hosecloud-core-*.tgz ./effect-hosecloud-adapters-*.tgz ./effect-hosecloud-cli-*.tgz $peers >/dev/null

cat > check.mjs <<'JS'
import { AccessToken, AuthError, HosecloudAuth, TokenProtocol } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as Adapters from "@effect-hosecloud/adapters"
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
if (typeof Adapters !== "object") throw new Error("adapters")
console.log(`packed libraries import under plain Node: token for ${token.corpId}, modules: ${Object.keys(Adapters).join(", ") || "(none)"}`)
JS
node check.mjs

# the installed executable runs the demo end to end
npx --no-install hosecloud demo > demo.log
tail -n 1 demo.log
