// A company's business host, discovered (GET /api/openapi/v2/location with the token's corpId) and checked
// again every 30 minutes. The lookup asks HOSECLOUD_API_URL (any Hosecloud host answers); the answer must be
// one of Hosecloud's own hosts, or the one asked (allowedHosts adds more).
import { HostDiscovery } from "@effect-hosecloud/adapters"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { FetchHttpClient } from "effect/http"
import { Effect, Layer } from "effect"

const ClientLive = Layer.unwrap(
  Effect.map(HosecloudClient.apiUrlConfig, (probeUrl) => HostDiscovery.layerClient({ probeUrl, interval: "30 minutes" }))
).pipe(Layer.provideMerge(HosecloudAuth.layerConfig()), Layer.provide(FetchHttpClient.layer))

const program = Effect.gen(function*() {
  const discovery = yield* HostDiscovery.HostDiscovery
  const client = yield* HosecloudClient.HosecloudClient
  const response = yield* client.get("/api/openapi/v1/corporations")
  console.log(`discovered host: ${yield* discovery.current}; corporations answered HTTP ${response.status}`)
})

Effect.runPromise(program.pipe(Effect.provide(ClientLive))).catch((error) => {
  console.error(error.message) // one line: what failed and why
  process.exitCode = 1
})

