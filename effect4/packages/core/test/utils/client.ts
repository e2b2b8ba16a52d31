import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import type * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as HttpClient from "effect/http/HttpClient"
import { Context, Effect, Layer, Redacted } from "effect"
import { demoKey, demoSecret } from "./setup.js"

/** An HTTP app: what the simulator is. */
export type App = Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>

/** A simulator, `HosecloudAuth` and `HosecloudClient` on it, in the test's scope. */
export const setupClient = (
  options: {
    readonly client?: HosecloudClient.Options
    readonly auth?: Partial<HosecloudAuth.Options>
    readonly simulator?: HosecloudSimulator.Options
    /** Wraps the HTTP client under everything (to inject transport faults). */
    readonly http?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
    /** Wraps the simulator's app (a server of the test's own in front of it). */
    readonly app?: (app: App) => App
  } = {}
) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make(options.simulator)
    const base = HosecloudSimulator.clientFor(options.app ? options.app(sim.app) : sim.app)
    const http = Layer.succeed(HttpClient.HttpClient, options.http ? options.http(base) : base)
    const authLayer = HosecloudAuth.layer({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), ...options.auth })
    const layer = HosecloudClient.layer(options.client).pipe(
      Layer.provideMerge(authLayer),
      Layer.provide(http)
    )
    const context = yield* Layer.build(layer)
    const client = Context.get(context, HosecloudClient.HosecloudClient)
    const auth = Context.get(context, HosecloudAuth.HosecloudAuth)
    return { sim, client, auth }
  })
