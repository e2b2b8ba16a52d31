// The adapters check their options when they are built, as the core does: a bad one is an InvalidOptions
// that names it, in the layer's error channel. Options are passed as an untyped caller would.
import { FetchHosecloud, HostDiscovery, LegacyAuth } from "@effect-hosecloud/adapters"
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import * as RedisTokenStore from "@effect-hosecloud/adapters/RedisTokenStore"
import { AuthError, HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"
import type * as HttpClient from "effect/http/HttpClient"

const credentials = { appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }

const refusal = <A, E, R>(layer: Layer.Layer<A, E, R>) =>
  Effect.flatMap(Effect.exit(Effect.scoped(Layer.build(layer))), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.die(new Error("the options were accepted"))
    const failure = Cause.findErrorOption(exit.cause)
    if (failure._tag === "None" || !(failure.value instanceof AuthError.InvalidOptions)) {
      return Effect.die(new Error(`not an InvalidOptions: ${Cause.pretty(exit.cause)}`))
    }
    return Effect.succeed(failure.value.option)
  })

const onSimulator = <A, E>(layer: Layer.Layer<A, E, HttpClient.HttpClient | HosecloudAuth.HosecloudAuth>) =>
  layer.pipe(Layer.provideMerge(HosecloudAuth.layer(credentials)), Layer.provide(HosecloudSimulator.layer()))

describe("adapter options", () => {
  const cases: ReadonlyArray<readonly [string, Layer.Layer<never, unknown>, string]> = [
    ["NodeSimulator: a negative port", NodeSimulator.layer({ port: -1 }), "port"],
    ["NodeSimulator: a port past 65535", NodeSimulator.layer({ port: 70_000 }), "port"],
    ["RedisTokenStore: an empty url", RedisTokenStore.layer({ url: "" }), "url"],
    ["RedisTokenStore: a zero commandTimeout", RedisTokenStore.layer({ url: "redis://127.0.0.1:9", commandTimeout: 0 }), "commandTimeout"],
    ["HostDiscovery: a zero interval", onSimulator(HostDiscovery.layer({ interval: "0 seconds" })), "interval"],
    ["HostDiscovery: a plain-http probeUrl", onSimulator(HostDiscovery.layerClient({ probeUrl: "http://example.com" })), "probeUrl"],
    [
      "LegacyAuth: a fractional expireDays",
      LegacyAuth.layer({ ...credentials, apiUrl: "https://dd2.hosecloud.com", refresh: "v2", expireDays: 1.5 }).pipe(
        Layer.provide(HosecloudSimulator.layer())
      ),
      "expireDays"
    ],
    [
      "LegacyAuth: a plain-string appSecurity",
      LegacyAuth.layer({ ...credentials, appSecurity: "secret" as never, apiUrl: "https://dd2.hosecloud.com" }).pipe(
        Layer.provide(HosecloudSimulator.layer())
      ),
      "appSecurity"
    ],
    ["FetchHosecloud: a plain-http remote apiUrl", FetchHosecloud.layer({ ...credentials, apiUrl: "http://app.ekuaibao.com" }), "apiUrl"],
    ["FetchHosecloud: a zero waitTimeout", FetchHosecloud.layer({ ...credentials, waitTimeout: 0 }), "waitTimeout"]
  ]
  for (const [name, layer, option] of cases) {
    it.effect(`${name} is an InvalidOptions naming ${option}`, () =>
      Effect.map(refusal(layer), (named) => assert.strictEqual(named, option)))
  }
})
