// Over real loopback HTTP, on both platform clients (undici and fetch): where a token may go, redirects
// that would carry it away, and a one-shot body after a refused token. A second server plays "another
// host" and records whatever reaches it: it must receive nothing.
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, References, Schedule, Stream } from "effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { scriptedServer, v3Token } from "./utils/server.js"

const v3Path = "/auth/openApi/v3/getAccessToken"
const credentials = { appKey: "loop-app-key", appSecurity: Redacted.make("loop-app-security") }

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["undici", NodeHttpClient.layerUndici],
  ["fetch", FetchHttpClient.layer]
]

/** HosecloudAuth and HosecloudClient, both on `url`, over `http`. */
const build = (
  url: string,
  http: Layer.Layer<HttpClient.HttpClient>,
  client?: Partial<HosecloudClient.Options>,
  auth?: Partial<HosecloudAuth.Options>
) =>
  Effect.map(
    Layer.build(
      HosecloudClient.layer({ apiUrl: url, ...client }).pipe(
        Layer.provideMerge(HosecloudAuth.layer({ ...credentials, authUrl: url, waitRetry: Schedule.recurs(0), ...auth })),
        Layer.provide(http)
      )
    ),
    (context) => ({
      auth: Context.get(context, HosecloudAuth.HosecloudAuth),
      client: Context.get(context, HosecloudClient.HosecloudClient)
    })
  )

for (const [name, http] of clients) {
  describe(`the token goes only to Hosecloud (${name})`, () => {
    it.live("an absolute URL on another loopback origin fails with ForeignOrigin; that host receives nothing", () =>
      Effect.gen(function*() {
        const other = yield* scriptedServer(() => ({ status: 200, body: "{}" }))
        const hosecloud = yield* scriptedServer((r) =>
          r.url === v3Path ? v3Token("token-1") : { status: 200, body: "{\"value\":{}}" }
        )
        const { client } = yield* build(hosecloud.url, http)
        const error = yield* Effect.flip(client.get(`${other.url}/api/openapi/v1/corporations`))
        assert.strictEqual(error._tag, "ForeignOrigin")
        assert.strictEqual(other.received.length, 0)
        // and the business host itself gets the token
        yield* client.get("/api/openapi/v1/corporations")
        assert.include(hosecloud.received.at(-1)?.url ?? "", "accessToken=token-1")
      }))

    it.live("a business API that redirects to another host: ForeignOrigin, and the redirect is not followed", () =>
      Effect.gen(function*() {
        const other = yield* scriptedServer(() => ({ status: 200, body: "{}" }))
        const hosecloud = yield* scriptedServer((r) =>
          r.url === v3Path ? v3Token("token-1") : { status: 302, headers: { location: `${other.url}/steal` } }
        )
        const { client } = yield* build(hosecloud.url, http, { token: { in: "header", name: "accessToken" } })
        const error = yield* Effect.flip(client.get("/api/openapi/v1/corporations"))
        assert.strictEqual(error._tag, "ForeignOrigin")
        if (error._tag === "ForeignOrigin") assert.strictEqual(error.via, "redirect")
        assert.strictEqual(other.received.length, 0)
      }))

    it.live("a token endpoint that redirects: a SystemError, nothing sent elsewhere, no token taken", () =>
      Effect.gen(function*() {
        // the other host answers like a token endpoint: were the redirect followed, its token would be taken
        const other = yield* scriptedServer(() => v3Token("planted"))
        const hosecloud = yield* scriptedServer(() => ({ status: 307, headers: { location: `${other.url}${v3Path}` } }))
        const { auth } = yield* build(hosecloud.url, http)
        const error = yield* Effect.flip(auth.token)
        assert.strictEqual(error._tag, "SystemError")
        if (error._tag === "SystemError") assert.include(error.description, "never follows a redirect")
        assert.strictEqual(other.received.length, 0)
        assert.notInclude(error.message, "loop-app-security")
      }).pipe(Effect.provideService(References.MinimumLogLevel, "None")))

    it.live("after a refused token, a JSON body is sent again whole; a stream body is not, and is Unauthorized", () =>
      Effect.gen(function*() {
        let tokens = 0
        const hosecloud = yield* scriptedServer((r) => {
          if (r.url === v3Path) return v3Token(`token-${++tokens}`)
          // the first token is refused, every later one accepted, and the body echoed
          return r.url.includes("accessToken=token-1") || r.headers["accesstoken"] === "token-1"
            ? { status: 403, body: "{\"errorCode\":403,\"errorMessage\":\"未授权\"}" }
            : { status: 200, body: JSON.stringify({ value: r.body }) }
        })
        const { auth, client } = yield* build(hosecloud.url, http, {}, { invalidationInterval: "10 millis" })
        const json = yield* client.execute(
          HttpClientRequest.post("/api/openapi/v2/documents").pipe(HttpClientRequest.bodyJsonUnsafe({ amount: 42 }))
        )
        assert.strictEqual(json.status, 200)
        const business = hosecloud.received.filter((r) => r.url.startsWith("/api/"))
        assert.deepStrictEqual(business.map((r) => r.body), ["{\"amount\":42}", "{\"amount\":42}"])

        // a refused token again, past the invalidation interval: now with a body that can be read once
        yield* Effect.sleep("20 millis")
        yield* auth.invalidate(yield* auth.token)
        const upload = HttpClientRequest.post("/api/openapi/v2/upload").pipe(
          HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode("one-shot content")), {
            contentType: "text/plain"
          })
        )
        tokens = 0 // the next token is "token-1" again, which the server refuses
        const error = yield* Effect.flip(client.execute(upload))
        assert.strictEqual(error._tag, "Unauthorized")
        if (error._tag === "Unauthorized") assert.include(error.text, "cannot be sent again")
        const uploads = hosecloud.received.filter((r) => r.url.startsWith("/api/openapi/v2/upload"))
        assert.deepStrictEqual(uploads.map((r) => r.body), ["one-shot content"], "sent once, never empty")
      }).pipe(Effect.provideService(References.MinimumLogLevel, "None")))
  })
}
