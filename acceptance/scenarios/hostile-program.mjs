// A program on a hostile server (HOSTILE_URL is both its token host and its business host): gets a token
// with HOSTILE_SECRET as appSecurity and, when it has one, calls a business API with it. Prints one JSON
// line describing the failure in every way a program could show it (its message, String, JSON, inspect,
// and the fields of the typed error); the library's log lines go where they go by default.
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer, Option, Redacted, Schedule } from "effect"
import { inspect } from "node:util"

const url = process.env.HOSTILE_URL
const Live = HosecloudClient.layer({ apiUrl: url }).pipe(
  Layer.provideMerge(HosecloudAuth.layer({
    appKey: "hostile-app-key",
    appSecurity: Redacted.make(process.env.HOSTILE_SECRET),
    authUrl: url,
    waitRetry: Schedule.recurs(0)
  })),
  Layer.provide(NodeHttpClient.layerUndici)
)

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const client = yield* HosecloudClient.HosecloudClient
  yield* auth.token
  return yield* client.get("/api/openapi/v1/corporations").pipe(Effect.flatMap(HosecloudClient.filterOk))
})

const shown = (error) => ({
  tag: error?._tag,
  reason: error?.reason,
  traceId: Option.isOption(error?.traceId) ? Option.getOrUndefined(error.traceId) : error?.traceId,
  message: error?.message,
  string: String(error),
  json: JSON.stringify(error),
  inspect: inspect(error, { depth: 8 })
})

Effect.runPromise(Effect.match(program.pipe(Effect.provide(Live)), { onFailure: shown, onSuccess: () => ({ tag: "none" }) })).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (defect) => {
    process.stdout.write(`${JSON.stringify({ tag: "defect", ...shown(defect) })}\n`)
    process.exitCode = 1
  }
)
