// Servers that echo secrets back, in every form a secret travels in: the token endpoint (in `traceId`,
// `corpId`, `msg`) and a business server (in its body, its message, its trace id and a redirect's Location).
// Whatever they send, no secret reaches an error (as a string, JSON, inspected, in a Cause), a log line at
// any level or a span; the field that held it says `<redacted>` and keeps the rest.
import { ApiError, AuthError, HosecloudAuth, HosecloudClient, TokenProtocol } from "@effect-hosecloud/core"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Context, Effect, Layer, Option, Redacted, Schedule } from "effect"
import { observe, type RecordedLog, type RecordedSpan, renderings, spanText } from "./utils/observe.js"

const appSecurity = "echo/app+security 3b5f=9e2a7c1d"
const accessToken = "echo-access-token-9a8b7c6d5e4f"
const refreshToken = "echo-refresh-token-0f1e2d3c4b5a"

const base64 = (s: string) => btoa(s)
const forms: ReadonlyArray<readonly [string, (secret: string) => string]> = [
  ["raw", (s) => s],
  ["URI-encoded", (s) => encodeURIComponent(s)],
  ["base64", base64],
  ["base64url", (s) => base64(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")],
  ["hex", (s) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("")],
  ["HEX", (s) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase()]
]

/** Every form of every secret, and of the secret with a suffix (so the secret sits at each base64 alignment). */
const leaks = (secret: string): ReadonlyArray<string> => [
  secret,
  ...forms.slice(1).map(([, encode]) => encode(secret)),
  // the secret inside a longer base64 text, at each of the three byte alignments
  ...["", "a", "ab"].map((prefix) => base64(`${prefix}${secret}!`).slice(4, -4))
]

const everyLeak = [appSecurity, accessToken, refreshToken].flatMap(leaks)

const assertClean = (texts: ReadonlyArray<string>) => {
  for (const text of texts) {
    for (const leak of everyLeak) {
      if (text.includes(leak)) assert.fail(`a secret (${leak}) was shown: ${text.slice(0, 400)}`)
    }
  }
}

interface Answer {
  readonly status: number
  readonly body: string
  readonly headers?: Record<string, string>
}

/** An HttpClient over a handler, as a server on the network would answer. */
const serving = (handler: (url: URL) => Answer) =>
  HttpClient.make((request) =>
    Effect.sync(() => {
      const answer = handler(new URL(request.url))
      return HttpClientResponse.fromWeb(
        request,
        new Response(answer.body, {
          status: answer.status,
          headers: { "content-type": "application/json", ...answer.headers }
        })
      )
    })
  )

const tokenAnswer = (corpId: string, expiresTime = 7_200_000): Answer => ({
  status: 200,
  body: JSON.stringify({
    code: "200",
    msg: "ok",
    data: { corpId, accessToken, refreshToken, expiresTime, scope: "tenant" }
  })
})

const authOn = (http: HttpClient.HttpClient) =>
  HosecloudAuth.make({ appKey: "echo-app-key", appSecurity: Redacted.make(appSecurity), waitRetry: Schedule.recurs(0) }).pipe(
    Effect.provideService(HttpClient.HttpClient, http)
  )

const shown = (values: ReadonlyArray<unknown>, logs: ReadonlyArray<RecordedLog>, spans: ReadonlyArray<RecordedSpan>) => [
  ...values.flatMap(renderings),
  ...logs.map((l) => l.text),
  ...spans.map(spanText)
]

describe("servers that echo secrets", () => {
  for (const [name, encode] of forms) {
    it.effect(`a token endpoint echoing appSecurity ${name} in traceId and msg: both say <redacted>`, () =>
      Effect.gen(function*() {
        const echoed = encode(appSecurity)
        const { logs, result: error, spans } = yield* observe(Effect.gen(function*() {
          const auth = yield* authOn(serving(() => ({
            status: 200,
            body: JSON.stringify({ code: "500", msg: `bad parameter ${echoed}.`, traceId: `trace-${echoed}-7f` })
          })))
          return yield* Effect.flip(auth.token)
        }))
        assert.strictEqual(error._tag, "SystemError")
        if (error._tag !== "SystemError") return
        assert.deepStrictEqual(error.traceId, Option.some("trace-<redacted>-7f"))
        assert.deepStrictEqual(error.msg, Option.some("bad parameter <redacted>."))
        const warning = logs.find((l) => l.message.includes("Hosecloud token request failed"))
        assert.strictEqual(warning?.annotations["traceId"], "trace-<redacted>-7f")
        const span = spans.find((s) => s.name === "HosecloudAuth.request")
        assert.strictEqual(span?.attributes.get("hosecloud.trace_id"), "trace-<redacted>-7f")
        assertClean(shown([error, error.cause], logs, spans))
      }))

    it.effect(`a token endpoint echoing appSecurity and the token ${name} as the corpId: the corpId says <redacted>`, () =>
      Effect.gen(function*() {
        const corpId = `corp-${encode(appSecurity)}-${encode(accessToken)}-${encode(refreshToken)}-01`
        const { logs, result: token, spans } = yield* observe(Effect.gen(function*() {
          const auth = yield* authOn(serving(() => tokenAnswer(corpId)))
          return yield* auth.token
        }))
        assert.strictEqual(token.corpId, "corp-<redacted>-<redacted>-<redacted>-01")
        assert.strictEqual(Redacted.value(token.accessToken), accessToken)
        const issued = logs.find((l) => l.message.includes("Hosecloud access token issued"))
        assert.strictEqual(issued?.annotations["corpId"], "corp-<redacted>-<redacted>-<redacted>-01")
        const span = spans.find((s) => s.name === "HosecloudAuth.request")
        assert.strictEqual(span?.attributes.get("hosecloud.corp_id"), "corp-<redacted>-<redacted>-<redacted>-01")
        assertClean(shown([token], logs, spans))
      }))
  }

  it.effect("a refused key whose msg echoes appSecurity in base64 is an InvalidKey that says <redacted>", () =>
    Effect.gen(function*() {
      const { logs, result: error, spans } = yield* observe(Effect.gen(function*() {
        const auth = yield* authOn(serving(() => ({
          status: 200,
          body: JSON.stringify({ code: "403", msg: `key ${base64(appSecurity)} refused` })
        })))
        return yield* Effect.flip(auth.token)
      }))
      assert.strictEqual(error._tag, "InvalidKey")
      if (error._tag === "InvalidKey") assert.strictEqual(error.msg, "key <redacted> refused")
      assertClean(shown([error], logs, spans))
    }))

  it.effect("a custom protocol passed through TokenProtocol.scrubbed has its corpId scrubbed", () =>
    Effect.gen(function*() {
      const protocol = TokenProtocol.scrubbed({
        name: "custom",
        issue: Effect.succeed({
          corpId: `c-${base64(appSecurity)}`,
          accessToken: Redacted.make(accessToken),
          refreshToken: Redacted.make(refreshToken),
          scope: "tenant",
          expiresTime: 7_200_000,
          serverTime: Option.none()
        }),
        refresh: Option.none(),
        secrets: [Redacted.make(appSecurity)]
      })
      const issued = yield* protocol.issue
      assert.strictEqual(issued.corpId, "c-<redacted>")
    }))

  for (const [name, encode] of forms) {
    it.effect(`a business server echoing the token ${name} in its body, message and traceId: the ApiError says <redacted>`, () =>
      Effect.gen(function*() {
        const echoed = encode(accessToken)
        const { logs, result, spans } = yield* observe(Effect.gen(function*() {
          const http = serving((url) =>
            url.pathname.includes("getAccessToken")
              ? tokenAnswer("corp-1")
              : url.pathname.includes("plain")
              ? { status: 500, body: `session ${base64(`u:${accessToken}:1`)} ${base64(`us:${refreshToken}`)} closed` }
              : url.pathname.includes("redirect")
              ? { status: 302, body: "", headers: { location: `https://${echoed}.example.com/x` } }
              : {
                status: 500,
                body: JSON.stringify({ code: "500", msg: `token ${echoed} is bad`, traceId: `t-${echoed}` }),
                headers: { "x-echo": echoed }
              }
          )
          const context = yield* Layer.build(
            HosecloudClient.layer({ apiUrl: "http://127.0.0.1:1" }).pipe(
              Layer.provideMerge(
                HosecloudAuth.layer({ appKey: "echo-app-key", appSecurity: Redacted.make(appSecurity) })
              ),
              Layer.provide(Layer.succeed(HttpClient.HttpClient, http))
            )
          )
          const client = Context.get(context, HosecloudClient.HosecloudClient)
          const failed = yield* Effect.flip(
            client.get("/api/openapi/v1/thing").pipe(Effect.flatMap(HosecloudClient.filterOk))
          )
          const coded = yield* Effect.flip(
            client.get("/api/openapi/v1/thing").pipe(Effect.flatMap(HosecloudClient.schemaData(ApiError.ApiError)))
          )
          const redirected = yield* Effect.flip(client.get("/api/openapi/v1/redirect"))
          const plain = yield* Effect.flip(
            client.get("/api/openapi/v1/plain").pipe(Effect.flatMap(HosecloudClient.filterOk))
          )
          return { failed, coded, redirected, plain }
        }))
        const { coded, failed, plain, redirected } = result
        // inside a longer base64 text, the characters that are the token's alone are masked
        assert.strictEqual(plain._tag, "ApiError")
        if (plain._tag === "ApiError") assert.match(plain.text, /^session [A-Za-z0-9+/]{2,4}<redacted>[A-Za-z0-9+/=]{0,6} [A-Za-z0-9+/]{2,4}<redacted>[A-Za-z0-9+/=]{0,6} closed$/)
        assert.strictEqual(failed._tag, "ApiError")
        if (failed._tag === "ApiError") {
          assert.strictEqual(failed.text, "token <redacted> is bad")
          assert.deepStrictEqual(failed.traceId, Option.some("t-<redacted>"))
        }
        assert.strictEqual(redirected._tag, "ForeignOrigin")
        assertClean(shown([failed, coded, redirected, plain], logs, spans))
      }))
  }

  it.live("exported through OpenTelemetry: the spans of a failed and a successful token request hold no echoed secret", () => {
    const exporter = new InMemorySpanExporter()
    const layer = NodeSdk.layer(() => ({
      resource: { serviceName: "effect-hosecloud-echo" },
      spanProcessor: new SimpleSpanProcessor(exporter)
    }))
    return Effect.gen(function*() {
      let calls = 0
      const auth = yield* authOn(serving(() =>
        ++calls === 1
          ? {
            status: 200,
            body: JSON.stringify({ code: "500", msg: `bad ${base64(appSecurity)}`, traceId: `trace-${base64(appSecurity)}-7f` })
          }
          : tokenAnswer(`corp-${base64(appSecurity)}-${base64(accessToken)}`, Date.now() + 7_200_000)
      ))
      yield* Effect.flip(auth.token)
      yield* auth.refresh
      const spans = exporter.getFinishedSpans().filter((span) => span.name === "HosecloudAuth.request")
      assert.strictEqual(spans.length, 2)
      assert.deepStrictEqual(
        spans.map((span) => span.attributes["hosecloud.trace_id"] ?? span.attributes["hosecloud.corp_id"]),
        ["trace-<redacted>-7f", "corp-<redacted>-<redacted>"]
      )
      assertClean(exporter.getFinishedSpans().map((span) =>
        JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events, status: span.status })
      ))
    }).pipe(Effect.scoped, Effect.provide(layer))
  })

  it.effect("AuthError.isAuthError still holds for a scrubbed error", () =>
    Effect.gen(function*() {
      const error = AuthError.systemError({ reason: "Upstream", description: "x", traceId: appSecurity })
      assert.isTrue(AuthError.isAuthError(error))
    }))
})
