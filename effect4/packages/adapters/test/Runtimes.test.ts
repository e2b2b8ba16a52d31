import { FetchHosecloud } from "@effect-hosecloud/adapters"
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Layer, Redacted, Schema } from "effect"

const configOf = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))

const Corporation = Schema.Struct({ id: Schema.String })

const runtimes = [
  ["Node (undici)", NodeHosecloud.layerConfig, NodeHosecloud.layer],
  ["fetch", FetchHosecloud.layerConfig, FetchHosecloud.layer]
] as const

for (const [name, layerConfig, layer] of runtimes) {
  describe(name, () => {
    it.live("from Config, against the simulator served on loopback", () =>
      Effect.gen(function*() {
        const served = yield* Layer.build(NodeSimulator.layer())
        const { url } = yield* Effect.provide(NodeSimulator.SimulatorAddress, served)
        const sim = yield* Effect.provide(HosecloudSimulator.HosecloudSimulator, served)
        const config = configOf({
          HOSECLOUD_APP_KEY: "demo-app-key",
          HOSECLOUD_APP_SECURITY: "demo-app-security",
          HOSECLOUD_AUTH_URL: url,
          HOSECLOUD_API_URL: url
        })
        const context = yield* Layer.build(layerConfig().pipe(Layer.provide(config)))
        const program = Effect.gen(function*() {
          const auth = yield* HosecloudAuth.HosecloudAuth
          const client = yield* HosecloudClient.HosecloudClient
          const token = yield* auth.token
          const corporation = yield* client.get("/api/openapi/v1/corporations").pipe(
            Effect.flatMap(HosecloudClient.schemaValue(Corporation))
          )
          return { token, corporation }
        })
        const results = yield* Effect.all(Array.from({ length: 20 }, () => program), { concurrency: "unbounded" }).pipe(
          Effect.provide(context)
        )
        assert.isTrue(results.every((r) => r.corporation.id === "DEMOcorp00001" && r.token === results[0].token))
        assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
        assert.strictEqual(yield* sim.count("v1.corporations", "success"), 20)
      }))

    it.live("from options, and a refused token recovered over real HTTP", () =>
      Effect.gen(function*() {
        const served = yield* Layer.build(NodeSimulator.layer())
        const { url } = yield* Effect.provide(NodeSimulator.SimulatorAddress, served)
        const sim = yield* Effect.provide(HosecloudSimulator.HosecloudSimulator, served)
        const context = yield* Layer.build(
          layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security"), authUrl: url, apiUrl: url })
        )
        const client = yield* Effect.provide(HosecloudClient.HosecloudClient, context)
        yield* client.get("/api/openapi/v1/corporations")
        yield* sim.revoke()
        const response = yield* client.get("/api/openapi/v1/corporations")
        assert.strictEqual(response.status, 200)
        assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      }))
  })
}

it.effect("layerConfig refuses a plain-http business host that is not loopback", () =>
  Effect.gen(function*() {
    const config = configOf({
      HOSECLOUD_APP_KEY: "k",
      HOSECLOUD_APP_SECURITY: "s",
      HOSECLOUD_API_URL: "http://app.ekuaibao.com"
    })
    const exit = yield* Effect.exit(Layer.build(NodeHosecloud.layerConfig().pipe(Layer.provide(config))))
    assert.isTrue(Exit.isFailure(exit))
    assert.include(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "", "HOSECLOUD_API_URL")
  }))
