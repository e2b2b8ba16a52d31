// One replica of a fleet, in its own process: CALLERS concurrent callers ask for a token through a
// HosecloudAuth that shares it over Redis (encrypted with HOSECLOUD_TOKEN_KEY). Prints one JSON line: the
// distinct tokens it was given. Any failure: one line on stderr and exit code 1.
import * as RedisTokenStore from "@effect-hosecloud/adapters/RedisTokenStore"
import { HosecloudAuth } from "@effect-hosecloud/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Redacted } from "effect"

const env = (name) => {
  const value = process.env[name]
  if (value === undefined || value === "") throw new Error(`${name} is not set`)
  return value
}

const AuthLive = HosecloudAuth.layerShared({
  appKey: "demo-app-key",
  appSecurity: Redacted.make("demo-app-security"),
  authUrl: env("SIMULATOR_URL"),
  encryptionKey: Redacted.make(env("HOSECLOUD_TOKEN_KEY"))
}).pipe(Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RedisTokenStore.layer({ url: env("REDIS_URL") }))))

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const tokens = yield* Effect.all(Array.from({ length: Number(env("CALLERS")) }, () => auth.token), { concurrency: "unbounded" })
  return [...new Set(tokens.map((token) => Redacted.value(token.accessToken)))]
})

Effect.runPromise(program.pipe(Effect.provide(AuthLive))).then(
  (distinct) => {
    process.stdout.write(`${JSON.stringify({ distinct })}\n`)
    process.exit(0)
  },
  (error) => {
    process.stderr.write(`${String(error?.message ?? error)}\n`)
    process.exit(1)
  }
)
