import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Random } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { poll } from "./utils/fibers.js"

const tokenUrl = "https://open.hosecloud.com/auth/openApi/v3/getAccessToken"

const harness = (options?: HosecloudSimulator.Options) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make(options)
    const client = HosecloudSimulator.clientFor(sim.app)
    const call = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(client.execute(request), (response) =>
        Effect.map(response.text, (text) => ({
          status: response.status,
          date: Option.fromNullishOr(response.headers["date"]),
          text,
          json: (() => {
            try {
              return JSON.parse(text) as Record<string, any>
            } catch {
              return undefined
            }
          })()
        })))
    const v3 = (body: unknown) => call(HttpClientRequest.post(tokenUrl).pipe(HttpClientRequest.bodyJsonUnsafe(body)))
    const demo = v3({ appKey: "demo-app-key", appSecurity: "demo-app-security" })
    const business = (token: string, headers: Record<string, string> = {}) =>
      call(
        HttpClientRequest.get("https://app.ekuaibao.com/api/openapi/v1/corporations").pipe(
          HttpClientRequest.setUrlParam("accessToken", token),
          HttpClientRequest.setHeaders(headers)
        )
      )
    return { sim, client, call, v3, demo, business }
  })

const payload = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString()) as Record<string, unknown>

describe("HosecloudSimulator", () => {
  it.effect("v3 getAccessToken answers the documented envelope with a JWT-like token", () =>
    Effect.gen(function*() {
      const { demo } = yield* harness()
      const answer = yield* demo
      assert.strictEqual(answer.status, 200)
      assert.deepStrictEqual(Object.keys(answer.json!), ["code", "msg", "data"])
      assert.strictEqual(answer.json!.code, "200")
      assert.strictEqual(answer.json!.msg, "操作成功")
      const data = answer.json!.data
      assert.deepStrictEqual(Object.keys(data).sort(), ["accessToken", "corpId", "expiresTime", "refreshToken", "scope"])
      assert.strictEqual(data.expiresTime, 2 * 60 * 60 * 1000)
      const claims = payload(data.accessToken)
      assert.strictEqual(claims.exp, 7200)
      assert.strictEqual(claims.corporationId, "DEMOcorp00001")
      assert.strictEqual(claims.scope, "tenant")
    }))

  it.effect("tokens are unique per issue", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness()
      const tokens = new Set<string>()
      for (let i = 0; i < 50; i++) tokens.add((yield* demo).json!.data.accessToken)
      assert.strictEqual(tokens.size, 50)
      assert.strictEqual((yield* sim.issued).length, 50)
    }))

  it.effect("a wrong key is code 403, a missing parameter code 500 with a traceId", () =>
    Effect.gen(function*() {
      const { sim, v3 } = yield* harness()
      const wrong = yield* v3({ appKey: "demo-app-key", appSecurity: "nope" })
      assert.deepStrictEqual(wrong.json, { code: "403", msg: "密钥无效", data: "" })
      const missing = yield* v3({ appKey: "demo-app-key" })
      assert.strictEqual(missing.json!.code, "500")
      assert.match(missing.json!.traceId, /^[0-9a-f]{32}$/)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "InvalidKey"), 1)
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "SystemError"), 1)
    }))

  it.effect("register adds credentials with their scope and corpId", () =>
    Effect.gen(function*() {
      const { sim, v3 } = yield* harness({ credentials: [] })
      assert.strictEqual((yield* v3({ appKey: "k", appSecurity: "s" })).json!.code, "403")
      yield* sim.register({ appKey: "k", appSecurity: "s", scope: "platform", corpId: "PLATcorp" })
      const data = (yield* v3({ appKey: "k", appSecurity: "s" })).json!.data
      assert.deepStrictEqual([data.scope, data.corpId], ["platform", "PLATcorp"])
    }))

  it.effect("setTokenLifetime sets expiresTime; tokens expire by the simulator's clock", () =>
    Effect.gen(function*() {
      const { business, demo, sim } = yield* harness()
      yield* sim.setTokenLifetime("10 seconds")
      const token = (yield* demo).json!.data
      assert.strictEqual(token.expiresTime, 10_000)
      assert.strictEqual((yield* business(token.accessToken)).status, 200)
      yield* TestClock.adjust("10 seconds")
      const expired = yield* business(token.accessToken)
      assert.strictEqual(expired.status, 403)
      assert.strictEqual(expired.json!.errorMessage, "未授权")
    }))

  it.effect("setSkew moves the server's clock: expiresTime and the Date header", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness()
      yield* sim.setSkew("10 minutes")
      const answer = yield* demo
      assert.strictEqual(answer.json!.data.expiresTime, 600_000 + 7_200_000)
      assert.strictEqual(Option.getOrNull(answer.date), new Date(600_000).toUTCString())
      yield* sim.setSkew(-600_000)
      assert.strictEqual(Option.getOrNull((yield* demo).date), new Date(-600_000).toUTCString())
    }))

  it.effect("sendDate: false leaves the Date header out", () =>
    Effect.gen(function*() {
      const { demo } = yield* harness({ sendDate: false })
      assert.isTrue(Option.isNone((yield* demo).date))
    }))

  it.effect("scripted token faults apply to the next requests, in order, once each", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness()
      yield* sim.script(
        "token",
        HosecloudSimulator.Fault.invalidKey(),
        HosecloudSimulator.Fault.systemError("0123456789abcdef0123456789abcdef"),
        HosecloudSimulator.Fault.httpStatus(502),
        HosecloudSimulator.Fault.malformed("{oops")
      )
      assert.strictEqual((yield* demo).json!.code, "403")
      const system = yield* demo
      assert.deepStrictEqual(system.json, {
        code: "500",
        msg: "system error",
        data: null,
        traceId: "0123456789abcdef0123456789abcdef"
      })
      const bad = yield* demo
      assert.strictEqual(bad.status, 502)
      assert.include(bad.text, "Bad Gateway")
      const malformed = yield* demo
      assert.deepStrictEqual([malformed.status, malformed.text], [200, "{oops"])
      assert.strictEqual((yield* demo).json!.code, "200")
      const counts = yield* sim.counts
      assert.deepStrictEqual(counts.received, { "v3.getAccessToken": 5 })
      assert.deepStrictEqual(counts.outcomes["v3.getAccessToken"], {
        InvalidKey: 1,
        SystemError: 1,
        HttpStatus: 1,
        Malformed: 1,
        success: 1
      })
    }))

  it.effect("a delay fault holds the request on the clock, then answers", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness()
      yield* sim.script("token", HosecloudSimulator.Fault.delay("5 seconds"))
      const fiber = yield* Effect.forkChild(demo)
      yield* TestClock.adjust("4 seconds")
      assert.isTrue(Option.isNone(yield* poll(fiber)))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).json!.code, "200")
    }))

  it.effect("business faults are separate from token faults", () =>
    Effect.gen(function*() {
      const { business, demo, sim } = yield* harness()
      yield* sim.script("business", HosecloudSimulator.Fault.httpStatus(500, "down"))
      const token = (yield* demo).json!.data.accessToken
      assert.strictEqual((yield* business(token)).status, 500)
      assert.strictEqual((yield* business(token)).status, 200)
    }))

  it.effect("revoke one token, or all of them", () =>
    Effect.gen(function*() {
      const { business, demo, sim } = yield* harness()
      const a = (yield* demo).json!.data.accessToken
      const b = (yield* demo).json!.data.accessToken
      yield* sim.revoke(a)
      assert.strictEqual((yield* business(a)).status, 403)
      assert.strictEqual((yield* business(b)).status, 200)
      yield* sim.revoke()
      assert.strictEqual((yield* business(b)).status, 403)
      assert.strictEqual((yield* business("made-up")).status, 403)
      assert.strictEqual(yield* sim.count("v1.corporations", "Unauthorized"), 3)
      assert.isTrue((yield* sim.issued).every((t) => t.revoked))
    }))

  it.effect("the business endpoint acts for a sub-tenant named in the tenant header, for platform tokens only", () =>
    Effect.gen(function*() {
      const { business, sim, v3 } = yield* harness()
      const platform = (yield* v3({ appKey: "demo-platform-key", appSecurity: "demo-platform-security" })).json!.data
      assert.strictEqual((yield* business(platform.accessToken, { corpId: "SUB1" })).json!.value.id, "SUB1")
      const tenant = (yield* v3({ appKey: "demo-app-key", appSecurity: "demo-app-security" })).json!.data
      assert.strictEqual((yield* business(tenant.accessToken, { corpId: "SUB1" })).json!.value.id, "DEMOcorp00001")
      void sim
    }))

  it.effect("location answers the edition host, which setLocation changes", () =>
    Effect.gen(function*() {
      const { call, sim } = yield* harness()
      const location = HttpClientRequest.get("https://app.ekuaibao.com/api/openapi/v2/location?corpId=DEMOcorp00001")
      assert.deepStrictEqual((yield* call(location)).json, { value: "https://app.ekuaibao.com/" })
      yield* sim.setLocation("https://dd2.hosecloud.com/")
      assert.deepStrictEqual((yield* call(location)).json, { value: "https://dd2.hosecloud.com/" })
      assert.strictEqual(yield* sim.count("v2.location"), 2)
    }))

  it.effect("unknown paths are 404 and counted as unknown; resetCounts clears the counters", () =>
    Effect.gen(function*() {
      const { call, sim } = yield* harness()
      assert.strictEqual((yield* call(HttpClientRequest.get("https://x.invalid/nope"))).status, 404)
      assert.strictEqual(yield* sim.count("unknown"), 1)
      yield* sim.resetCounts
      assert.deepStrictEqual(yield* sim.counts, { received: {}, outcomes: {} })
    }))

  it.effect("setDown answers every request with the fault until lifted; traceIdsSent lists what was sent", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness()
      yield* sim.setDown("token", HosecloudSimulator.Fault.systemError())
      const ids = [(yield* demo).json!.traceId, (yield* demo).json!.traceId, (yield* demo).json!.traceId]
      assert.deepStrictEqual(yield* sim.traceIdsSent, ids)
      assert.strictEqual(new Set(ids).size, 3)
      yield* sim.setDown("token", undefined)
      assert.strictEqual((yield* demo).json!.code, "200")
    }))

  it.effect("setRandomFaults faults about the given share of requests, with the given kinds", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness()
      yield* sim.setRandomFaults("token", 0.2, [HosecloudSimulator.Fault.httpStatus(502), HosecloudSimulator.Fault.invalidKey()])
      const statuses = []
      for (let i = 0; i < 1000; i++) statuses.push(yield* demo)
      const bad = statuses.filter((a) => a.status === 502).length
      const refused = statuses.filter((a) => a.json?.code === "403").length
      assert.isAbove(bad + refused, 120)
      assert.isBelow(bad + refused, 280)
      assert.isAbove(bad, 40)
      assert.isAbove(refused, 40)
      yield* sim.setRandomFaults("token", 0, [])
      assert.strictEqual((yield* demo).json!.code, "200")
    }).pipe(Random.withSeed("simulator random faults")))

  it.effect("issued tokens record the skew they were issued under", () =>
    Effect.gen(function*() {
      const { demo, sim } = yield* harness({ skew: 90_000 })
      yield* demo
      yield* sim.setSkew(-30_000)
      yield* demo
      assert.deepStrictEqual((yield* sim.issued).map((t) => t.skew), [90_000, -30_000])
    }))

  it.effect("layer provides the simulator and an in-memory HttpClient", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      const response = yield* client.post(tokenUrl, {
        body: undefined
      })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "SystemError"), 1)
    }).pipe(Effect.provide(HosecloudSimulator.layer())))
})
