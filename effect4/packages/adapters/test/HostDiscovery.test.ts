import { HostDiscovery } from "@effect-hosecloud/adapters"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, Logger, Redacted, References, Stream } from "effect"
import * as HttpClient from "effect/http/HttpClient"
import { TestClock } from "effect/testing"

const setup = (options?: HostDiscovery.Options) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make({ location: "https://dd2.hosecloud.com/" })
    const base = HosecloudSimulator.clientFor(sim.app)
    const requests: Array<string> = []
    const recording = HttpClient.make((request, url) => {
      requests.push(`${url.origin}${url.pathname}`)
      return base.execute(request)
    })
    const context = yield* Layer.build(
      HostDiscovery.layerClient(options).pipe(
        Layer.provideMerge(HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") })),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, recording))
      )
    )
    return {
      sim,
      requests,
      client: Context.get(context, HosecloudClient.HosecloudClient),
      discovery: Context.get(context, HostDiscovery.HostDiscovery)
    }
  })

describe("HostDiscovery", () => {
  it.effect("looks the host up with the token's corpId, trims the trailing slash, and caches it", () =>
    Effect.gen(function*() {
      const { client, discovery, requests, sim } = yield* setup()
      assert.deepStrictEqual(requests, [], "lazy: no request while the layer is built")
      yield* client.get("/api/openapi/v1/corporations")
      yield* client.get("/api/openapi/v1/corporations")
      assert.strictEqual(yield* discovery.current, "https://dd2.hosecloud.com")
      assert.deepStrictEqual(requests, [
        "https://open.hosecloud.com/auth/openApi/v3/getAccessToken",
        "https://app.ekuaibao.com/api/openapi/v2/location",
        "https://dd2.hosecloud.com/api/openapi/v1/corporations",
        "https://dd2.hosecloud.com/api/openapi/v1/corporations"
      ])
      assert.strictEqual(yield* sim.count("v2.location"), 1)
    }))

  it.effect("re-checks on a schedule and follows the company to its new host", () =>
    Effect.gen(function*() {
      const { client, discovery, requests, sim } = yield* setup({ interval: "1 hour" })
      const seen = yield* discovery.changes.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* client.get("/api/openapi/v1/corporations")
      yield* sim.setLocation("https://feishu.ekuaibao.com/")
      yield* TestClock.adjust("59 minutes")
      assert.strictEqual(yield* sim.count("v2.location"), 1)
      yield* TestClock.adjust("1 minute")
      assert.strictEqual(yield* sim.count("v2.location"), 2)
      yield* client.get("/api/openapi/v1/corporations")
      assert.strictEqual(requests.at(-1), "https://feishu.ekuaibao.com/api/openapi/v1/corporations")
      assert.deepStrictEqual(Array.from(yield* Fiber.join(seen)), [
        "https://dd2.hosecloud.com",
        "https://feishu.ekuaibao.com"
      ])
    }))

  it.effect("a failed lookup keeps the fallback host (and later the known one)", () =>
    Effect.gen(function*() {
      const { discovery, sim } = yield* setup({ corpId: "DEMOcorp00001", fallbackUrl: "https://wx2.ekuaibao.com" })
      yield* sim.script("business", HosecloudSimulator.Fault.httpStatus(502))
      assert.strictEqual(yield* discovery.current, "https://wx2.ekuaibao.com")
      assert.strictEqual(yield* discovery.recheck, "https://dd2.hosecloud.com")
      yield* sim.script("business", HosecloudSimulator.Fault.malformed("{\"value\":\"ftp://nowhere\"}"))
      assert.strictEqual(yield* discovery.recheck, "https://dd2.hosecloud.com")
      assert.strictEqual(yield* discovery.current, "https://dd2.hosecloud.com")
      // with corpId given, no token was needed
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
    }))

  it.effect("answers outside Hosecloud's domains are refused with a Warning, without their password, and the known host is kept", () =>
    Effect.gen(function*() {
      const warnings: Array<string> = []
      // Effect 4's level is "Warn" (Effect 3: Warning), and the annotations are the fiber's
      const logger = Logger.layer([Logger.make(({ fiber, logLevel, message }) => {
        if (logLevel === "Warn") {
          warnings.push(`${String(message)} ${JSON.stringify(fiber.getRef(References.CurrentLogAnnotations))}`)
        }
      })])
      const { client, discovery, requests, sim } = yield* setup({ corpId: "DEMOcorp00001" }).pipe(
        Effect.provide(logger)
      )
      assert.strictEqual(yield* discovery.current, "https://dd2.hosecloud.com")
      for (
        const answer of [
          "https://evil.example.com/",
          "https://app.ekuaibao.com.evil.example/",
          "https://user:s3cret-pass@dd2.hosecloud.com/",
          "http://feishu.ekuaibao.com/"
        ]
      ) {
        yield* sim.setLocation(answer)
        assert.strictEqual(yield* discovery.recheck.pipe(Effect.provide(logger)), "https://dd2.hosecloud.com")
      }
      yield* client.get("/api/openapi/v1/corporations")
      assert.strictEqual(requests.at(-1), "https://dd2.hosecloud.com/api/openapi/v1/corporations")
      assert.strictEqual(warnings.length, 4, warnings.join("\n"))
      assert.isTrue(warnings.every((w) => !w.includes("s3cret-pass")), warnings.join("\n"))
      assert.include(warnings[0], "evil.example.com is not one of allowedHosts")
      // an edition's host is taken
      yield* sim.setLocation("https://feishu.ekuaibao.com/")
      assert.strictEqual(yield* discovery.recheck, "https://feishu.ekuaibao.com")
    }))

  it.effect("allowedHosts extends the list", () =>
    Effect.gen(function*() {
      const { discovery, sim } = yield* setup({ corpId: "DEMOcorp00001", allowedHosts: ["hosecloud.example.cn"] })
      yield* sim.setLocation("https://hosecloud.example.cn/")
      assert.strictEqual(yield* discovery.current, "https://hosecloud.example.cn")
      assert.isTrue(HostDiscovery.hostAllowed(HostDiscovery.defaultAllowedHosts, "wx2.ekuaibao.com"))
      assert.isFalse(HostDiscovery.hostAllowed(HostDiscovery.defaultAllowedHosts, "ekuaibao.com.evil.example"))
    }))
})
