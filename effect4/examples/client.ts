// Business APIs with the token attached: HOSECLOUD_API_URL is the business host (the customer's edition),
// HOSECLOUD_AUTH_URL the token host. Never the one for the other.
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { FetchHttpClient } from "effect/http"
import { Effect, Layer, Schema } from "effect"

const Corporation = Schema.Struct({ id: Schema.String, name: Schema.String })

const ClientLive = HosecloudClient.layerConfig().pipe(
  Layer.provideMerge(HosecloudAuth.layerConfig()),
  Layer.provide(FetchHttpClient.layer)
)

const corporation = Effect.gen(function*() {
  const client = yield* HosecloudClient.HosecloudClient
  return yield* client.get("/api/openapi/v1/corporations").pipe(
    Effect.flatMap(HosecloudClient.schemaValue(Corporation)) // non-2xx or wrong shape: ApiError
  )
})

Effect.runPromise(corporation.pipe(Effect.provide(ClientLive))).then(
  (corp) => console.log(`corporation ${corp.id}: ${corp.name}`),
  (error) => {
    console.error(error.message) // one line: what failed and why
    process.exitCode = 1
  }
)
