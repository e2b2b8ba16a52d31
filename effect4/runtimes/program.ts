// The program each runtime runs, bundled for a runtime without Node: the adapters' fetch layers against a
// Hosecloud (the simulator, in the tests) at `url`. It answers what it saw, as a JSON-ready record.
import { FetchHosecloud } from "@effect-hosecloud/adapters"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { Effect, ManagedRuntime, Redacted, Schema } from "effect"

export interface Settings {
  /** The Hosecloud to ask: used as both the token host and the business host. */
  readonly url: string
  readonly appKey: string
  readonly appSecurity: string
  /** A secret Hosecloud refuses, for the typed error. */
  readonly wrongSecurity: string
}

export interface Summary {
  readonly runtime: string
  readonly corpId: string
  readonly businessStatus: number
  /** The id of the corporation the business call answered. */
  readonly corporation: string
  readonly wrongSecret: string
}

const Corporation = Schema.Struct({ id: Schema.String })

const layerFor = (settings: Settings, appSecurity: string) =>
  FetchHosecloud.layer({
    appKey: settings.appKey,
    appSecurity: Redacted.make(appSecurity),
    authUrl: settings.url,
    apiUrl: settings.url,
    requestTimeout: "5 seconds"
  })

/** One token and a business call with the right secret; the typed error of a wrong one. */
export const check = (runtime: string, settings: Settings): Promise<Summary> =>
  Effect.runPromise(
    Effect.gen(function*() {
      const { corpId, status, corporation } = yield* Effect.gen(function*() {
        const auth = yield* HosecloudAuth.HosecloudAuth
        const client = yield* HosecloudClient.HosecloudClient
        const token = yield* auth.token
        const response = yield* client.get("/api/openapi/v1/corporations")
        const { id } = yield* HosecloudClient.schemaValue(Corporation)(response)
        return { corpId: token.corpId, status: response.status, corporation: id }
      }).pipe(Effect.provide(layerFor(settings, settings.appSecurity)))
      const refused = yield* Effect.flatMap(HosecloudAuth.HosecloudAuth, (auth) => Effect.flip(auth.token)).pipe(
        Effect.provide(layerFor(settings, settings.wrongSecurity))
      )
      return { runtime, corpId, businessStatus: status, corporation, wrongSecret: `${refused._tag}: ${refused.message}` }
    })
  )

/** What one business call through the long-lived layers answered. */
export interface Call {
  readonly businessStatus: number
  readonly corporation: string
}

let shared: ManagedRuntime.ManagedRuntime<HosecloudClient.HosecloudClient, unknown> | undefined

/**
 * One business call through layers built once and kept for the life of the program (a worker's isolate):
 * the calls share one token, and its flights. On workerd that is the limit the runtime suite shows:
 * examples/worker.ts is the way that works there.
 */
export const callShared = (settings: Settings): Promise<Call> => {
  shared ??= ManagedRuntime.make(layerFor(settings, settings.appSecurity))
  return shared.runPromise(Effect.gen(function*() {
    const client = yield* HosecloudClient.HosecloudClient
    const response = yield* client.get("/api/openapi/v1/corporations")
    const { id } = yield* HosecloudClient.schemaValue(Corporation)(response)
    return { businessStatus: response.status, corporation: id }
  }))
}

