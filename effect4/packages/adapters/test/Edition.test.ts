import { Edition } from "@effect-hosecloud/adapters"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, Result } from "effect"
import * as HttpClient from "effect/http/HttpClient"

const read = (env: Record<string, string>) =>
  Effect.result(Effect.provideService(Edition.apiUrlConfig, ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env })))

describe("Edition", () => {
  it("has the documented host of every edition", () => {
    assert.deepStrictEqual(Edition.hosts, {
      standalone: "https://app.ekuaibao.com",
      dingtalk: "https://dd2.hosecloud.com",
      wecom: "https://wx2.ekuaibao.com",
      feishu: "https://feishu.ekuaibao.com",
      "kingdee-cloud": "https://kdcloud2.ekuaibao.com",
      "dingtalk-enterprise": "https://ddenterprise.ekuaibao.com"
    })
    assert.strictEqual(Edition.hostOf("feishu"), "https://feishu.ekuaibao.com")
    assert.isTrue(Edition.isEdition("wecom"))
    assert.isFalse(Edition.isEdition("toString"))
  })

  it.effect("apiUrlConfig: HOSECLOUD_API_URL, else HOSECLOUD_EDITION, else standalone", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* read({}), Result.succeed("https://app.ekuaibao.com"))
      assert.deepStrictEqual(yield* read({ HOSECLOUD_EDITION: "dingtalk" }), Result.succeed("https://dd2.hosecloud.com"))
      assert.deepStrictEqual(
        yield* read({ HOSECLOUD_EDITION: "dingtalk", HOSECLOUD_API_URL: "https://example.hosecloud.com" }),
        Result.succeed("https://example.hosecloud.com")
      )
      const unknown = yield* read({ HOSECLOUD_EDITION: "myspace" })
      assert.isTrue(Result.isFailure(unknown))
      assert.include(String(Result.isFailure(unknown) ? unknown.failure : ""), "dingtalk-enterprise")
      assert.include(String(Result.isFailure(unknown) ? unknown.failure : ""), "HOSECLOUD_EDITION")
      const insecure = yield* read({ HOSECLOUD_API_URL: "http://app.ekuaibao.com" })
      assert.isTrue(Result.isFailure(insecure))
      assert.include(String(Result.isFailure(insecure) ? insecure.failure : ""), "HOSECLOUD_API_URL")
    }))

  it.effect("layerClient sends business requests to the edition's host", () =>
    Effect.gen(function*() {
      const hosts: Array<string> = []
      const sim = yield* HosecloudSimulator.make()
      const base = HosecloudSimulator.clientFor(sim.app)
      const recording = HttpClient.make((request, url) => {
        hosts.push(url.origin)
        return base.execute(request)
      })
      const context = yield* Layer.build(
        Edition.layerClient("wecom").pipe(
          Layer.provideMerge(HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") })),
          Layer.provide(Layer.succeed(HttpClient.HttpClient, recording))
        )
      )
      const client = yield* Effect.provide(HosecloudClient.HosecloudClient, context)
      yield* client.get("/api/openapi/v1/corporations")
      assert.deepStrictEqual(hosts, ["https://open.hosecloud.com", "https://wx2.ekuaibao.com"])
    }))
})
