// Anywhere with fetch (Deno, Bun, edge workers, Node): the same layers on FetchHttpClient, from the same
// variables. Nothing here imports Node.
import { FetchHosecloud } from "@effect-hosecloud/adapters"
import { HosecloudClient } from "@effect-hosecloud/core"
import { Effect } from "effect"

const corporations = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
  client.get("/api/openapi/v1/corporations")).pipe(
    Effect.flatMap(HosecloudClient.filterOk),
    Effect.flatMap((response) => response.json)
  )

Effect.runPromise(corporations.pipe(Effect.provide(FetchHosecloud.layerConfig()))).then(
  (body) => console.log(JSON.stringify(body)),
  (error) => {
    console.error(error.message) // one line: what failed and why
    process.exitCode = 1
  }
)
