// The customer's edition decides the business host: HOSECLOUD_API_URL when set, else the host of
// HOSECLOUD_EDITION (dingtalk, wecom, feishu, ...), else the standalone edition's.
import { Edition } from "@effect-hosecloud/adapters"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { FetchHttpClient } from "effect/http"
import { Effect, Layer } from "effect"

console.log(`editions: ${Edition.editions.map((name) => `${name} ${Edition.hostOf(name)}`).join(", ")}`)

// for one edition, fixed: Edition.layerClient("dingtalk")
const ClientLive = Layer.unwrap(
  Effect.map(Edition.apiUrlConfig, (apiUrl) => {
    console.log(`business host: ${apiUrl}`)
    return HosecloudClient.layer({ apiUrl })
  })
).pipe(Layer.provideMerge(HosecloudAuth.layerConfig()), Layer.provide(FetchHttpClient.layer))

const status = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
  Effect.map(client.get("/api/openapi/v1/corporations"), (response) => response.status))

Effect.runPromise(status.pipe(Effect.provide(ClientLive))).then(
  (code) => console.log(`corporations answered HTTP ${code}`),
  (error) => {
    console.error(error.message) // one line: what failed and why
    process.exitCode = 1
  }
)
