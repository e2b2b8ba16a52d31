// The edges, as an attacker and a careless operator try them: servers that echo secrets back, business
// APIs that refuse a permission or every token, and requests aimed anywhere but Hosecloud.
import { type ApiError, type AuthError, HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, Redacted, References, Schedule, Schema } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { type App, setupClient } from "./utils/client.js"
import { observe, renderings, spanText } from "./utils/observe.js"
import { demoSecret, setup, tokenRequests } from "./utils/setup.js"

const corporations = "/api/openapi/v1/corporations"

const assertNoneShown = (secrets: ReadonlyArray<string>, texts: ReadonlyArray<string>) => {
  for (const secret of secrets) {
    for (const text of texts) {
      if (text.includes(secret)) assert.fail(`a secret was shown: ${text.slice(0, 300)}`)
    }
  }
}

describe("a token endpoint that echoes appSecurity", () => {
  it.effect("its text is scrubbed from InvalidKey, SystemError, log lines at every level and spans", () =>
    Effect.gen(function*() {
      const errors: Array<AuthError.AuthError> = []
      const { logs, spans } = yield* observe(Effect.gen(function*() {
        const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0) })
        // the InvalidKey last: it is answered from memory for its cool-down
        const echoes = [
          `{"code":"500","msg":"bad parameters: {\\"appKey\\":\\"demo-app-key\\",\\"appSecurity\\":\\"${demoSecret}\\"}","traceId":"0123456789abcdef0123456789abcdef"}`,
          `{"code":"777","msg":"appSecurity=${demoSecret}"}`,
          `{"code":"403","msg":"密钥无效 for ${demoSecret}","data":""}`
        ]
        for (const body of echoes) {
          yield* sim.script("token", HosecloudSimulator.Fault.malformed(body))
          errors.push(yield* Effect.flip(auth.refresh))
        }
      }))
      assert.deepStrictEqual(errors.map((e) => e._tag), ["SystemError", "SystemError", "InvalidKey"])
      const [system, , invalid] = errors
      if (invalid._tag === "InvalidKey") assert.strictEqual(invalid.msg, "密钥无效 for <redacted>")
      if (system._tag === "SystemError") {
        assert.deepStrictEqual(system.traceId, Option.some("0123456789abcdef0123456789abcdef"))
        assert.include(Option.getOrElse(system.msg, () => ""), "\"appSecurity\":\"<redacted>\"")
      }
      assert.isAtLeast(logs.filter((l) => l.level === "Warn").length, 3)
      assertNoneShown([demoSecret], [...errors.flatMap(renderings), ...logs.map((l) => l.text), ...spans.map(spanText)])
    }))
})

/** A business host in front of the simulator that says things with the token in them. */
const echoing = (app: App): App =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const url = new URL(request.url, "http://business.invalid")
    const token = url.searchParams.get("accessToken") ?? ""
    switch (url.pathname) {
      case "/echo/json":
        return Effect.succeed(HttpServerResponse.jsonUnsafe({ errorMessage: `token ${token} is not allowed here` }, { status: 400 }))
      case "/echo/text":
        return Effect.succeed(HttpServerResponse.text(`internal error while serving ${token}`, { status: 500 }))
      case "/echo/envelope":
        return Effect.succeed(HttpServerResponse.jsonUnsafe({ code: "40001", msg: `bad token ${token}`, data: null }))
      case "/echo/permission":
        return Effect.succeed(
          HttpServerResponse.jsonUnsafe({ errorMessage: `没有权限访问该接口 (token ${token})` }, { status: 403 })
        )
      case "/echo/refused":
        return Effect.succeed(
          HttpServerResponse.jsonUnsafe({ errorMessage: "未授权", detail: `token ${token}` }, { status: 403 })
        )
      default:
        return app
    }
  })

describe("business APIs that echo the token", () => {
  it.effect("never show it: ApiError message and text, Unauthorized, Cause.pretty, JSON, inspect, logs, spans", () =>
    Effect.gen(function*() {
      const shown: Array<unknown> = []
      const { logs, result: sim, spans } = yield* observe(Effect.gen(function*() {
        const { client, sim } = yield* setupClient({ app: echoing })
        const anyData = HosecloudClient.schemaData(Schema.Unknown)
        shown.push(yield* Effect.flip(client.get("/echo/json").pipe(Effect.flatMap(HosecloudClient.filterOk))))
        shown.push(yield* Effect.flip(client.get("/echo/text").pipe(Effect.flatMap(HosecloudClient.filterOk))))
        shown.push(yield* Effect.flip(client.get("/echo/envelope").pipe(Effect.flatMap(anyData))))
        shown.push(yield* Effect.flip(client.get("/echo/permission")))
        shown.push(yield* Effect.flip(client.get("/echo/refused")))
        yield* Effect.logDebug("done").pipe(Effect.annotateLogs("errors", shown))
        return sim
      }))
      const tags = shown.map((e) => (e as { _tag: string })._tag)
      assert.deepStrictEqual(tags, ["ApiError", "ApiError", "ApiError", "ApiError", "Unauthorized"])
      const [json, text, envelope] = shown as Array<ApiError.ApiError>
      assert.strictEqual(json.text, "token <redacted> is not allowed here")
      assert.strictEqual(text.text, "internal error while serving <redacted>")
      assert.strictEqual(envelope.text, "bad token <redacted>")
      const tokens = (yield* sim.issued).flatMap((t) => [t.accessToken, t.refreshToken])
      assert.isAtLeast(tokens.length, 2)
      assertNoneShown(tokens, [...shown.flatMap(renderings), ...logs.map((l) => l.text), ...spans.map(spanText)])
    }))
})

describe("a 403 is a refused token only when it says so", () => {
  it.effect("a missing permission is an ApiError(Forbidden): five of them drop no token and cost no token request", () =>
    Effect.gen(function*() {
      const { auth, client, sim } = yield* setupClient({ app: echoing })
      const first = yield* auth.token
      for (let i = 0; i < 5; i++) {
        const error = yield* Effect.flip(client.get("/echo/permission"))
        assert.strictEqual(error._tag, "ApiError")
        if (error._tag === "ApiError") {
          assert.strictEqual(error.reason, "Forbidden")
          assert.strictEqual(error.status, 403)
          assert.include(error.text, "没有权限访问该接口")
        }
      }
      assert.strictEqual(yield* auth.token, first)
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))

  it.effect("未授权 (alone or in a longer message), or a body that says nothing readable, is a refused token: dropped and replaced once", () =>
    Effect.gen(function*() {
      for (
        const body of [
          "{\"errorCode\":403,\"errorMessage\":\"未授权\"}",
          "{\"errorCode\":403,\"errorMessage\":\"未授权: accessToken已过期，请重新获取\"}",
          "{\"code\":\"403\",\"msg\":\"请求未授权\"}",
          "",
          "<html><body>403 Forbidden</body></html>"
        ]
      ) {
        const { auth, client, sim } = yield* setupClient()
        const first = yield* auth.token
        yield* sim.script("business", HosecloudSimulator.Fault.httpStatus(403, body))
        const response = yield* client.get(corporations)
        assert.strictEqual(response.status, 200, JSON.stringify(body))
        assert.strictEqual(yield* tokenRequests(sim), 2)
        assert.notStrictEqual(yield* auth.token, first)
      }
    }))
})

describe("refreshes caused by refused tokens are bounded", () => {
  it.effect("50 workers for 10 s against an API that refuses every token: at most one token every 5 s", () =>
    Effect.gen(function*() {
      const { client, sim } = yield* setupClient()
      yield* sim.setDown("business", HosecloudSimulator.Fault.invalidKey())
      const worker = Effect.forever(
        Effect.andThen(Effect.ignore(client.get(corporations)), Effect.sleep("500 millis"))
      )
      const workers = yield* Effect.forkChild(Effect.all(Array.from({ length: 50 }, () => worker), { concurrency: "unbounded" }))
      // Effect 4's TestClock looks for sleepers at once: every worker makes its first request and goes to sleep first
      while ((yield* sim.count("v1.corporations")) < 50) yield* Effect.yieldNow
      yield* Effect.replicateEffect(Effect.yieldNow, 20, { discard: true })
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.interrupt(workers)
      // the first token, then one more at 0 s (refused), 5 s and 10 s
      assert.isAtMost(yield* tokenRequests(sim), 4)
      assert.isAtLeast(yield* sim.count("v1.corporations"), 50 * 20)
    }))

  it.effect("invalidate keeps a token dropped too soon after another, with a Warning", () =>
    Effect.gen(function*() {
      const { logs } = yield* observe(Effect.gen(function*() {
        const { auth, sim } = yield* setup()
        const first = yield* auth.token
        yield* auth.invalidate(first)
        const second = yield* auth.token
        yield* auth.invalidate(second)
        assert.strictEqual(yield* auth.token, second)
        yield* TestClock.adjust("5 seconds")
        yield* auth.invalidate(second)
        assert.notStrictEqual(yield* auth.token, second)
        assert.strictEqual(yield* tokenRequests(sim), 3)
      }))
      assert.strictEqual(logs.filter((l) => l.level === "Warn").length, 1)
    }))

  it.effect("the interval is an option, checked like the others", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.scoped(setup({ invalidationInterval: "-1 seconds" })))
      assert.strictEqual(error._tag, "InvalidOptions")
      if (error._tag === "InvalidOptions") assert.strictEqual(error.option, "invalidationInterval")
    }))
})

describe("the token goes only to Hosecloud", () => {
  it.effect("an absolute URL on another origin, or plain http, fails with ForeignOrigin and nothing is sent", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const { client } = yield* setupClient({
        http: (base) => base.pipe(HttpClient.tapRequest((request) => Effect.sync(() => sent.push(request.url))))
      })
      for (const url of ["http://example.com/api", "https://example.com/api", "https://app.ekuaibao.com.evil.example/x", "http://app.ekuaibao.com/api", "ftp://app.ekuaibao.com/x"]) {
        const error = yield* Effect.flip(client.get(url))
        assert.strictEqual(error._tag, "ForeignOrigin", url)
        if (error._tag === "ForeignOrigin") {
          assert.strictEqual(error.via, "url")
          assert.notInclude(error.message, "accessToken=")
        }
      }
      assert.isFalse(sent.some((u) => u.includes("example") || u.startsWith("http://") || u.startsWith("ftp:")), sent.join())
      // the business host itself, absolute, is fine
      const ok = yield* client.get(`https://app.ekuaibao.com${corporations}`)
      assert.strictEqual(ok.status, 200)
    }))

  it.effect("allowedOrigins opts another origin in", () =>
    Effect.gen(function*() {
      const { client } = yield* setupClient({ client: { allowedOrigins: ["https://dd2.hosecloud.com"] } })
      const response = yield* client.get(`https://dd2.hosecloud.com${corporations}`)
      assert.strictEqual(response.status, 200)
      const error = yield* Effect.flip(HosecloudClient.make({ allowedOrigins: ["http://example.com"] }).pipe(
        Effect.provide(HosecloudAuth.layer({ appKey: "k", appSecurity: Redacted.make("s") })),
        Effect.provide(HosecloudSimulator.layer())
      ))
      assert.strictEqual(error._tag, "InvalidOptions")
      if (error._tag === "InvalidOptions") assert.strictEqual(error.option, "allowedOrigins[0]")
    }))
})

describe("a transport failure names the host and the reason", () => {
  const failingWith = (cause: unknown) =>
    HttpClient.make((request) => Effect.fail(new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, cause }) })))
  const cases: ReadonlyArray<readonly [string, unknown, string]> = [
    ["DNS", Object.assign(new Error("getaddrinfo ENOTFOUND open.hosecloud.com"), { code: "ENOTFOUND" }), "could not be resolved (DNS) (ENOTFOUND)"],
    ["TLS, as fetch reports it", new TypeError("fetch failed", { cause: { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" } }), "TLS failed"],
    ["a time-out", Object.assign(new Error("connect timeout"), { code: "UND_ERR_CONNECT_TIMEOUT" }), "timed out (UND_ERR_CONNECT_TIMEOUT)"],
    // as Node's fetch reports a port it refuses (6000, 10080, ...), before any connection
    ["a port fetch blocks", new TypeError("fetch failed", { cause: new Error("bad port") }), "the Fetch standard blocks it"]
  ]
  for (const [name, cause, expected] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const auth = yield* HosecloudAuth.make({ appKey: "k", appSecurity: Redacted.make(demoSecret), waitRetry: Schedule.recurs(0) })
          .pipe(Effect.provideService(HttpClient.HttpClient, failingWith(cause)))
        const error = yield* Effect.flip(auth.token)
        assert.strictEqual(error._tag, "SystemError")
        if (error._tag === "SystemError") {
          assert.strictEqual(error.reason, "Transport")
          assert.include(error.description, "the request to https://open.hosecloud.com did not get through")
          assert.include(error.description, expected)
          assertNoneShown([demoSecret], renderings(error))
        }
      }).pipe(Effect.provideService(References.MinimumLogLevel, "None")))
  }
})
