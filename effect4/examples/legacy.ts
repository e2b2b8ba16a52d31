// The legacy v1 endpoint on the edition host (HOSECLOUD_API_URL, else dingtalk's), refreshing through the
// v2 refresh-token exchange while the token is valid.
import { Edition, LegacyAuth } from "@effect-hosecloud/adapters"
import { HosecloudAuth } from "@effect-hosecloud/core"
import { NodeHttpClient } from "@effect/platform-node"
import { Config, DateTime, Effect, Layer } from "effect"

const AuthLive = Layer.unwrap(
  Effect.map(
    Config.all({
      appKey: Config.String("HOSECLOUD_APP_KEY"),
      appSecurity: Config.Redacted("HOSECLOUD_APP_SECURITY"),
      apiUrl: Config.String("HOSECLOUD_API_URL").pipe(Config.withDefault(Edition.hostOf("dingtalk")))
    }),
    (options) => LegacyAuth.layer({ ...options, refresh: "v2" })
  )
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const first = yield* auth.token
  const refreshed = yield* auth.refresh // the v2 exchange: both tokens rotate
  console.log(`legacy token for ${first.corpId}; refreshed, now valid until ${DateTime.formatIso(refreshed.expiresAt)}`)
})

Effect.runPromise(program.pipe(Effect.provide(AuthLive))).catch((error) => {
  console.error(error.message) // one line: what failed and why
  process.exitCode = 1
})
