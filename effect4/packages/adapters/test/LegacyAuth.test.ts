import { LegacyAuth } from "@effect-hosecloud/adapters"
import { HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, DateTime, Effect, Layer, Option, Redacted, Result, Tracer } from "effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { readFileSync } from "node:fs"

// the wire fixtures are the Effect 3 line's own: Effect-free, shared by both lines
const fixture = (name: string) =>
  readFileSync(new URL(`../../../../packages/adapters/test/fixtures/${name}`, import.meta.url), "utf8")
const host = "https://dd2.hosecloud.com"
const day = 24 * 60 * 60 * 1000

const setup = (options: Partial<LegacyAuth.Options> = {}, simulator?: HosecloudSimulator.Options) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make(simulator)
    const client = HosecloudSimulator.clientFor(sim.app)
    const context = yield* Layer.build(
      LegacyAuth.layer({
        appKey: "demo-app-key",
        appSecurity: Redacted.make("demo-app-security"),
        apiUrl: host,
        ...options
      }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, client)))
    )
    const auth = Context.get(context, HosecloudAuth.HosecloudAuth)
    const business = (token: string) =>
      Effect.map(
        client.execute(
          HttpClientRequest.get(`${host}/api/openapi/v1/corporations`).pipe(HttpClientRequest.setUrlParam("accessToken", token))
        ),
        (r) => r.status
      )
    return { sim, auth, business }
  })

describe("decodeLegacy", () => {
  it("decodes the v1 and v2 fixtures", () => {
    const v1 = LegacyAuth.decodeLegacy(200, fixture("v1-success.json"), Option.none(), true)
    assert.isTrue(Result.isSuccess(v1))
    if (Result.isSuccess(v1)) {
      assert.deepStrictEqual(
        [v1.success.corpId, v1.success.expiresTime, v1.success.scope, Redacted.value(v1.success.accessToken)],
        ["PCx3rYMwOcX0zg", 1678802231576, "tenant", "ID_3rYMwOcX0zg:PCx3rYMwOcX0zg"]
      )
    }
    const v2 = LegacyAuth.decodeLegacy(200, fixture("v2-refresh-success.json"), Option.none(), false)
    assert.isTrue(Result.isSuccess(v2) && Redacted.value(v2.success.refreshToken) === "ID_3rYMwOcX3zg:PCx3rYMwOcX0zg")
  })

  it("HTTP 403 is InvalidKey for getAccessToken, a SystemError for the exchange", () => {
    const body = "{\"errorCode\":403,\"errorMessage\":\"密钥无效\"}"
    const issue = LegacyAuth.decodeLegacy(403, body, Option.none(), true)
    assert.isTrue(Result.isFailure(issue) && issue.failure._tag === "InvalidKey" && issue.failure.msg === "密钥无效")
    const exchange = LegacyAuth.decodeLegacy(403, "{\"errorMessage\":\"未授权\"}", Option.none(), false)
    assert.isTrue(Result.isFailure(exchange) && exchange.failure._tag === "SystemError")
  })

  it("other shapes are SystemErrors", () => {
    for (const [status, body] of [[200, "{}"], [200, "<html>"], [502, ""], [200, "{\"value\":{\"accessToken\":\"\"}}"]] as const) {
      const result = LegacyAuth.decodeLegacy(status, body, Option.none(), true)
      assert.isTrue(Result.isFailure(result) && result.failure._tag === "SystemError", `${status} ${body}`)
    }
  })
})

describe("v1 token source", () => {
  it.effect("issues tokens through HosecloudAuth, with single flight", () =>
    Effect.gen(function*() {
      const { auth, business, sim } = yield* setup()
      const tokens = yield* Effect.all(Array.from({ length: 50 }, () => auth.token), { concurrency: "unbounded" })
      assert.isTrue(tokens.every((t) => t === tokens[0]))
      assert.strictEqual(tokens[0].corpId, "DEMOcorp00001")
      assert.strictEqual(yield* sim.count("v1.getAccessToken"), 1)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
      assert.strictEqual(yield* business(Redacted.value(tokens[0].accessToken)), 200)
    }))

  it.effect("HTTP 403 密钥无效 is InvalidKey, and it is not retried", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ appSecurity: Redacted.make("wrong") })
      const error = yield* Effect.flip(auth.token)
      assert.strictEqual(error._tag, "InvalidKey")
      yield* Effect.flip(auth.token)
      assert.strictEqual(yield* sim.count("v1.getAccessToken"), 1)
    }))
})

describe("v2 refresh-token exchange", () => {
  it.effect("refreshes with the exchange while the token is valid; both tokens rotate", () =>
    Effect.gen(function*() {
      const { auth, business, sim } = yield* setup({ refresh: "v2" })
      const first = yield* auth.token
      const second = yield* auth.refresh
      assert.strictEqual(yield* sim.count("v1.getAccessToken"), 1)
      assert.strictEqual(yield* sim.count("v2.refreshToken", "success"), 1)
      assert.notStrictEqual(Redacted.value(second.accessToken), Redacted.value(first.accessToken))
      assert.notStrictEqual(Redacted.value(second.refreshToken), Redacted.value(first.refreshToken))
      // the old pair is gone, the new one works and lives 32 days
      assert.strictEqual(yield* business(Redacted.value(first.accessToken)), 403)
      assert.strictEqual(yield* business(Redacted.value(second.accessToken)), 200)
      const life = DateTime.toEpochMillis(second.expiresAt) - DateTime.toEpochMillis(second.issuedAt)
      assert.isAbove(life, 32 * day - 2000)
      // the next exchange uses the new pair
      const third = yield* auth.refresh
      assert.strictEqual(yield* sim.count("v2.refreshToken", "success"), 2)
      assert.strictEqual(yield* business(Redacted.value(third.accessToken)), 200)
    }))

  it.effect("expireDays asks for a lifetime with /expireDate", () =>
    Effect.gen(function*() {
      const { auth } = yield* setup({ refresh: "v2", expireDays: 3 })
      yield* auth.token
      const refreshed = yield* auth.refresh
      const life = DateTime.toEpochMillis(refreshed.expiresAt) - DateTime.toEpochMillis(refreshed.issuedAt)
      assert.isAbove(life, 3 * day - 2000)
      assert.isAtMost(life, 3 * day)
    }))

  it.effect("a refused exchange falls back to a new token", () =>
    Effect.gen(function*() {
      const { auth, business, sim } = yield* setup({ refresh: "v2" })
      const first = yield* auth.token
      yield* sim.revoke(Redacted.value(first.accessToken))
      const second = yield* auth.refresh
      assert.strictEqual(yield* sim.count("v2.refreshToken", "Unauthorized"), 1)
      assert.strictEqual(yield* sim.count("v1.getAccessToken"), 2)
      assert.strictEqual(yield* business(Redacted.value(second.accessToken)), 200)
    }))

  it.effect("an expired token is not exchanged: a new one is issued", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ refresh: "v2" }, { tokenLifetime: "10 minutes" })
      yield* auth.token
      yield* auth.invalidate(yield* auth.token)
      yield* auth.token
      assert.strictEqual(yield* sim.count("v2.refreshToken"), 0)
      assert.strictEqual(yield* sim.count("v1.getAccessToken"), 2)
    }))

  it.effect("the exchange's span carries no token, and the platform's span (with the query) is off", () =>
    Effect.gen(function*() {
      const spans: Array<Tracer.Span> = []
      const native = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (...args) => {
          const span = native.span(...args)
          spans.push(span)
          return span
        },
        context: native.context
      })
      const { auth, sim } = yield* setup({ refresh: "v2" })
      yield* Effect.withTracer(Effect.andThen(auth.token, auth.refresh), tracer)
      const tokens = (yield* sim.issued).flatMap((t) => [t.accessToken, t.refreshToken])
      const names = spans.map((s) => s.name)
      assert.include(names, "HosecloudAuth.v2.refreshToken")
      // Effect 4 names the platform's client span after the method alone ("POST"; Effect 3: "http.client POST")
      const platformPaths = spans.filter((s) => s.kind === "client" && /^[A-Z]+$/.test(s.name)).map((s) => s.attributes.get("url.path"))
      assert.deepStrictEqual(platformPaths, ["/api/openapi/v1/auth/getAccessToken"])
      const text = spans.map((s) => `${s.name} ${JSON.stringify(Object.fromEntries(s.attributes))}`).join("\n")
      for (const token of tokens) assert.notInclude(text, token)
    }))
})
