import { ApiError, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as UrlParams from "effect/http/UrlParams"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Option, Redacted, Ref, Schema } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { inspect } from "node:util"
import { setupClient } from "./utils/client.js"
import { observe, spanText } from "./utils/observe.js"

const Corporation = Schema.Struct({ id: Schema.String, name: Schema.String, scope: Schema.String })
const corporations = "/api/openapi/v1/corporations"
const getCorporation = (client: HosecloudClient.Service) =>
  client.get(corporations).pipe(Effect.flatMap(HosecloudClient.schemaValue(Corporation)))

describe("HosecloudClient", () => {
  it.effect("attaches the token as the accessToken query parameter and the edition host", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const { client, sim } = yield* setupClient({
        client: { apiUrl: "https://dd2.hosecloud.com" },
        http: (base) =>
          HttpClient.make((request) => {
            seen.push(`${request.url}?${UrlParams.toString(request.urlParams)}`)
            return base.execute(request)
          })
      })
      const corporation = yield* getCorporation(client)
      assert.strictEqual(corporation.id, "DEMOcorp00001")
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 1)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      const issued = (yield* sim.issued)[0]
      assert.deepStrictEqual(seen.filter((u) => u.includes("corporations")), [
        `https://dd2.hosecloud.com${corporations}?accessToken=${encodeURIComponent(issued.accessToken)}`
      ])
    }))

  it.effect("a token in a header instead, when configured", () =>
    Effect.gen(function*() {
      const { client, sim } = yield* setupClient({ client: { token: { in: "header", name: "accessToken" } } })
      assert.strictEqual((yield* getCorporation(client)).id, "DEMOcorp00001")
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 1)
    }))

  it.effect("a refused token (403) is dropped, replaced once, and the request retried", () =>
    Effect.gen(function*() {
      const { auth, client, sim } = yield* setupClient()
      const first = yield* auth.token
      yield* sim.revoke(Redacted.value(first.accessToken))
      assert.strictEqual((yield* getCorporation(client)).id, "DEMOcorp00001")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      assert.strictEqual(yield* sim.count("v1.corporations", "Unauthorized"), 1)
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 1)
      assert.notStrictEqual(yield* auth.token, first)
    }))

  it.effect("100 concurrent requests refused with the same token cause one token request", () =>
    Effect.gen(function*() {
      // the first 100 business requests are held until all 100 have arrived, so they all carry the old token
      const arrived = yield* Ref.make(0)
      const allThere = yield* Deferred.make<void>()
      const { auth, client, sim } = yield* setupClient({
        http: (base) =>
          HttpClient.make((request) =>
            Effect.gen(function*() {
              if (request.url.endsWith("corporations")) {
                const n = yield* Ref.updateAndGet(arrived, (k) => k + 1)
                if (n === 100) yield* Deferred.succeed(allThere, undefined)
                if (n <= 100) yield* Deferred.await(allThere)
              }
              return yield* base.execute(request)
            })
          )
      })
      yield* auth.token
      yield* sim.revoke()
      const results = yield* Effect.all(Array.from({ length: 100 }, () => getCorporation(client)), {
        concurrency: "unbounded"
      })
      assert.strictEqual(results.length, 100)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      assert.strictEqual(yield* sim.count("v1.corporations", "Unauthorized"), 100)
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 100)
    }))

  it.effect("a second 403 in a row is a typed Unauthorized error, not a loop", () =>
    Effect.gen(function*() {
      const { client, sim } = yield* setupClient()
      yield* sim.script("business", HosecloudSimulator.Fault.invalidKey(), HosecloudSimulator.Fault.invalidKey())
      const error = yield* Effect.flip(getCorporation(client))
      assert.strictEqual(error._tag, "Unauthorized")
      if (error._tag === "Unauthorized") {
        assert.strictEqual(error.status, 403)
        assert.strictEqual(error.text, "未授权")
        assert.strictEqual(error.url, `https://app.ekuaibao.com${corporations}`)
      }
      assert.strictEqual(yield* sim.count("v1.corporations"), 2)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
    }))

  it.effect("token errors reach the caller typed", () =>
    Effect.gen(function*() {
      const { client, sim } = yield* setupClient({ auth: { appSecurity: Redacted.make("wrong") } })
      const error = yield* Effect.flip(getCorporation(client))
      assert.strictEqual(error._tag, "InvalidKey")
      assert.strictEqual(yield* sim.count("v1.corporations"), 0)
    }))

  it.effect("withTenant names the sub-tenant of a platform token in the tenant header", () =>
    Effect.gen(function*() {
      const { client } = yield* setupClient({
        auth: { appKey: "demo-platform-key", appSecurity: Redacted.make("demo-platform-security") }
      })
      const own = yield* getCorporation(client)
      assert.deepStrictEqual([own.id, own.scope], ["DEMOplatform1", "platform"])
      const sub = yield* getCorporation(client).pipe(HosecloudClient.withTenant("SUBcorp0001"))
      assert.strictEqual(sub.id, "SUBcorp0001")
    }))

  it.effect("the tenant header name is configurable", () =>
    Effect.gen(function*() {
      const { client } = yield* setupClient({
        auth: { appKey: "demo-platform-key", appSecurity: Redacted.make("demo-platform-security") },
        client: { tenantHeader: "x-hosecloud-corp" },
        simulator: { tenantHeader: "x-hosecloud-corp" }
      })
      const sub = yield* getCorporation(client).pipe(HosecloudClient.withTenant("SUBcorp0002"))
      assert.strictEqual(sub.id, "SUBcorp0002")
    }))
  it.effect("one client span per request, propagated to the wire as trace headers", () =>
    Effect.gen(function*() {
      const headers: Array<Record<string, string>> = []
      const { client } = yield* setupClient({
        http: (base) =>
          HttpClient.make((request) => {
            if (request.url.includes("corporations")) headers.push({ ...request.headers })
            return base.execute(request)
          })
      })
      const { spans } = yield* observe(client.get(corporations).pipe(Effect.withSpan("workflow")))
      const business = spans.filter((s) => s.name === "GET")
      assert.strictEqual(business.length, 1)
      assert.strictEqual(business[0].attributes.get("http.response.status_code"), 200)
      assert.strictEqual(headers.length, 1)
      assert.match(headers[0]["traceparent"] ?? "", new RegExp(`^00-${business[0].span.traceId}-${business[0].span.spanId}-`))
    }))

  it.effect("a path that would end the host name is checked like an absolute URL: ForeignOrigin, nothing sent", () =>
    Effect.gen(function*() {
      const sent: Array<string> = []
      const { client } = yield* setupClient({
        http: (base) =>
          HttpClient.make((request) => {
            if (!request.url.includes("getAccessToken")) sent.push(request.url)
            return base.execute(request)
          })
      })
      for (const path of ["@evil.example/steal", ".evil.example/steal", ":8443/steal"]) {
        const error = yield* Effect.flip(client.get(path))
        assert.strictEqual(error._tag, "ForeignOrigin", path)
      }
      assert.deepStrictEqual(sent, [])
      // a path after the host, a query or nothing at all stay on the business host
      for (const path of [corporations, "?x=1", ""]) yield* client.get(path)
      assert.deepStrictEqual(sent.map((url) => new URL(url).origin), Array(3).fill("https://app.ekuaibao.com"))
    }))
})

describe("the platform's own span stays off for the wire request", () => {
  const platformSpans = (spans: ReadonlyArray<{ readonly name: string; readonly attributes: ReadonlyMap<string, unknown> }>) =>
    // Effect 4's platform span records server.port for every URL (443 here); the library's only when the URL
    // names a port
    spans.filter((s) => s.name === "GET" && s.attributes.get("server.port") === 443)

  it.effect("whichever fiber sends it, through middleware that rebuilds the request; the caller's own requests keep theirs", () =>
    Effect.gen(function*() {
      // middleware of the caller's own, under the client, that makes a new request object
      const { auth, client } = yield* setupClient({
        http: (base) => HttpClient.mapRequest(base, HttpClientRequest.setHeader("x-caller", "1"))
      })
      const token = Redacted.value((yield* auth.token).accessToken)
      // the client used from a fiber of another runtime, where nothing was installed when it was made
      const elsewhere = (effect: Effect.Effect<unknown, unknown>) =>
        Effect.promise(() => Effect.runPromise(Effect.result(observe(effect))))
      const fromHere = yield* observe(client.get(corporations).pipe(Effect.withSpan("workflow")))
      const fromThere = yield* elsewhere(client.get(corporations).pipe(Effect.withSpan("workflow")))
      assert.isTrue(fromThere._tag === "Success")
      if (fromThere._tag !== "Success") return
      for (const { spans } of [fromHere, fromThere.success]) {
        // one span, the library's (its server.address is the host name), with the token's place redacted
        const business = spans.filter((s) => s.name === "GET")
        assert.strictEqual(business.length, 1)
        assert.strictEqual(business[0].attributes.get("server.address"), "app.ekuaibao.com")
        for (const span of spans) assert.notInclude(spanText(span), token)
      }
      // a request of the caller's own through an HttpClient, with a token of its own, is traced by the platform
      const own = yield* observe(
        HttpClient.make((request) => Effect.succeed(HttpClientResponse.fromWeb(request, new Response("{}")))).get(
          `https://app.ekuaibao.com${corporations}?accessToken=another`
        )
      )
      assert.strictEqual(platformSpans(own.spans).length, 1)
    }))
})

describe("redaction", () => {
  it.effect("the token never reaches a span, a log line, an error or a response's description", () =>
    Effect.gen(function*() {
      const shown: Array<string> = []
      const render = (value: unknown) =>
        shown.push(
          String(value),
          JSON.stringify(value) ?? "",
          inspect(value, { depth: 20 }),
          Cause.pretty(Cause.fail(value))
        )
      const { logs, result: sim, spans } = yield* observe(Effect.gen(function*() {
        const { auth, client, sim } = yield* setupClient({
          // business requests to /fail break at the transport, with the request (and its token) in the error
          http: (base) =>
            HttpClient.make((request) =>
              request.url.endsWith("/fail")
                ? Effect.fail(
                  new HttpClientError.HttpClientError({
                    reason: new HttpClientError.TransportError({ request, description: String(request.urlParams) })
                  })
                )
                : base.execute(request)
            )
        })
        const first = yield* auth.token
        yield* sim.revoke(Redacted.value(first.accessToken))
        const response = yield* client.get(corporations)
        render(response)
        render(yield* Effect.flip(client.get("/fail")))
        yield* sim.script("business", HosecloudSimulator.Fault.httpStatus(500, "{\"errorMessage\":\"boom\"}"))
        render(yield* Effect.flip(client.get(corporations).pipe(Effect.flatMap(HttpClientResponse.filterStatusOk))))
        // past the invalidation interval, so that the refused token is replaced once more
        yield* TestClock.adjust("5 seconds")
        yield* sim.script("business", HosecloudSimulator.Fault.invalidKey(), HosecloudSimulator.Fault.invalidKey())
        render(yield* Effect.flip(client.get(corporations)))
        yield* Effect.logDebug("done").pipe(Effect.annotateLogs("response", response))
        return sim
      }))
      const tokens = (yield* sim.issued).map((t) => t.accessToken)
      assert.strictEqual(tokens.length, 3)
      const clientSpans = spans.filter((s) => (s.name === "GET" || s.name === "POST"))
      assert.isAtLeast(clientSpans.length, 5)
      // the platform's span records where the token goes, redacted
      const business = clientSpans.find((s) => String(s.attributes.get("url.full")).includes("corporations"))
      assert.strictEqual(
        business?.attributes.get("url.full"),
        `https://app.ekuaibao.com${corporations}?accessToken=%3Credacted%3E`
      )
      const everything = [...shown, ...spans.map(spanText), ...logs.map((l) => l.text)]
      for (const token of tokens) {
        for (const text of everything) {
          if (text.includes(token)) assert.fail(`the token was shown: ${text.slice(0, 300)}`)
        }
      }
    }))
})

describe("decoding helpers", () => {
  const response = (status: number, body: string) =>
    HttpClientResponse.fromWeb(
      HttpClientRequest.get("https://app.ekuaibao.com/api/openapi/v1/x?accessToken=secret-token"),
      new Response(body, { status })
    )

  it.effect("schemaValue decodes a { value } envelope", () =>
    Effect.gen(function*() {
      const value = yield* HosecloudClient.schemaValue(Schema.Array(Schema.Number))(response(200, "{\"value\":[1,2]}"))
      assert.deepStrictEqual(value, [1, 2])
    }))

  it.effect("a non-2xx answer is an ApiError with the status and the server's message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        HosecloudClient.schemaValue(Schema.Unknown)(response(412, "{\"errorCode\":412,\"errorMessage\":\"单据不存在\"}"))
      )
      assert.deepStrictEqual(
        [error.reason, error.status, error.text, Option.getOrNull(error.code)],
        ["Status", 412, "单据不存在", "412"]
      )
      assert.strictEqual(error.url, "https://app.ekuaibao.com/api/openapi/v1/x")
      assert.notInclude(`${error.message} ${JSON.stringify(error)}`, "secret-token")
    }))

  it.effect("a plain-text error body is the message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(HosecloudClient.filterOk(response(403, "未授权")))
      assert.deepStrictEqual([error.status, error.text], [403, "未授权"])
    }))

  it.effect("a body of the wrong shape is an ApiError(Decode) naming the path, not the values", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        HosecloudClient.schemaValue(Schema.Struct({ id: Schema.Number }))(response(200, "{\"value\":{\"id\":\"abc-secret\"}}"))
      )
      assert.strictEqual(error.reason, "Decode")
      assert.include(error.text, "id")
      assert.notInclude(error.message, "abc-secret")
      const notEnvelope = yield* Effect.flip(HosecloudClient.schemaValue(Schema.Unknown)(response(200, "[1]")))
      assert.strictEqual(notEnvelope.reason, "Decode")
    }))

  it.effect("schemaData decodes { code, msg, data } and turns error codes into ApiError(Code)", () =>
    Effect.gen(function*() {
      const ok = yield* HosecloudClient.schemaData(Schema.String)(response(200, "{\"code\":\"200\",\"msg\":\"操作成功\",\"data\":\"x\"}"))
      assert.strictEqual(ok, "x")
      const failed = yield* Effect.flip(
        HosecloudClient.schemaData(Schema.String)(
          response(200, "{\"code\":\"500\",\"msg\":\"system error\",\"data\":null,\"traceId\":\"abc123\"}")
        )
      )
      assert.deepStrictEqual(
        [failed.reason, Option.getOrNull(failed.code), failed.text, Option.getOrNull(failed.traceId)],
        ["Code", "500", "system error", "abc123"]
      )
      assert.isTrue(failed instanceof ApiError.ApiError)
    }))
})
