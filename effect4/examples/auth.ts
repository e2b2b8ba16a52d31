// One token, cached, refreshed before it expires. Reads HOSECLOUD_APP_KEY, HOSECLOUD_APP_SECURITY and
// HOSECLOUD_AUTH_URL (the token host; default https://open.hosecloud.com).
import { HosecloudAuth } from "@effect-hosecloud/core"
import { FetchHttpClient } from "effect/http"
import { DateTime, Effect, Layer, Option } from "effect"

const AuthLive = HosecloudAuth.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const token = yield* auth.token // cached; one request however many callers
  console.log(`token for ${token.corpId}, scope ${token.scope}, until ${DateTime.formatIso(token.expiresAt)}`)
}).pipe(
  Effect.catchTags({
    InvalidKey: (e) => Effect.fail(`fix HOSECLOUD_APP_KEY / HOSECLOUD_APP_SECURITY: ${e.message}`),
    SystemError: (e) =>
      Effect.fail(`${e.message}; quote traceId ${Option.getOrElse(e.traceId, () => "(none sent)")} to Hosecloud support`)
  })
)

// a failure is one line on stderr and exit code 1
Effect.runPromise(program.pipe(Effect.provide(AuthLive))).catch((error) => {
  console.error(error.message)
  process.exitCode = 1
})
