import { AuthError, TokenProtocol } from "@effect-hosecloud/core"
import { assert, describe, it } from "@effect/vitest"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as fc from "fast-check"
import { Effect, Result, Option, Redacted } from "effect"
import { readFileSync } from "node:fs"

const fixture = (name: string) => readFileSync(new URL(`../../../../packages/core/test/fixtures/${name}`, import.meta.url), "utf8")

describe("decodeV3", () => {
  it("decodes the success fixture into an issued token", () => {
    const result = TokenProtocol.decodeV3(200, fixture("v3-success.json"))
    assert.isTrue(Result.isSuccess(result))
    if (Result.isSuccess(result)) {
      const token = result.success
      assert.strictEqual(token.corpId, "1NUaicKTEw0000")
      assert.strictEqual(token.scope, "tenant")
      assert.strictEqual(token.expiresTime, 1678802231576)
      assert.isTrue(Redacted.value(token.accessToken).startsWith("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9."))
      assert.strictEqual(Redacted.value(token.refreshToken), "Z98ZLuCRK2NWAWqxYVn8h4wzg8Aj7sLA2PlmMrGwLsYnBQyjZHjM89EVmoAT")
      assert.isTrue(Option.isNone(token.serverTime))
      // the JWT's exp is expiresTime in seconds, as the docs say
      const payload = JSON.parse(
        Buffer.from(Redacted.value(token.accessToken).split(".")[1], "base64url").toString()
      ) as { exp: number }
      assert.strictEqual(payload.exp, Math.floor(token.expiresTime / 1000))
    }
  })

  it("decodes the invalid-key fixture into InvalidKey", () => {
    const result = TokenProtocol.decodeV3(200, fixture("v3-invalid-key.json"))
    assert.deepStrictEqual(result, Result.fail(new AuthError.InvalidKey({ code: "403", msg: "密钥无效" })))
  })

  it("decodes the system-error fixture into SystemError with its traceId", () => {
    const result = TokenProtocol.decodeV3(200, fixture("v3-system-error.json"))
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result) && result.failure._tag === "SystemError") {
      assert.deepStrictEqual(result.failure.traceId, Option.some("03ccfaa793524e4ea9dc568090267bca"))
      assert.deepStrictEqual(result.failure.code, Option.some("500"))
      assert.deepStrictEqual(result.failure.msg, Option.some("system error"))
      assert.strictEqual(result.failure.reason, "Upstream")
      assert.include(result.failure.message, "03ccfaa793524e4ea9dc568090267bca")
    } else {
      assert.fail("expected a SystemError")
    }
  })

  it("keeps a traceId sent with an HTTP error status", () => {
    const result = TokenProtocol.decodeV3(503, fixture("v3-system-error.json"))
    assert.isTrue(Result.isFailure(result) && result.failure._tag === "SystemError" &&
      Option.getOrNull(result.failure.traceId) === "03ccfaa793524e4ea9dc568090267bca" &&
      Option.getOrNull(result.failure.status) === 503)
  })

  const malformed: ReadonlyArray<[string, string]> = [
    ["empty", ""],
    ["HTML", "<html><body>502 Bad Gateway</body></html>"],
    ["a number", "42"],
    ["null", "null"],
    ["no code", "{\"msg\":\"x\"}"],
    ["numeric code", "{\"code\":200,\"data\":{}}"],
    ["200 with empty data", "{\"code\":\"200\",\"msg\":\"操作成功\",\"data\":\"\"}"],
    ["200 with a bad scope", fixture("v3-success.json").replace("\"tenant\"", "\"galaxy\"")],
    ["200 with a string expiry", fixture("v3-success.json").replace("1678802231576", "\"soon\"")],
    ["unknown code", "{\"code\":\"418\",\"msg\":\"teapot\",\"data\":null}"]
  ]
  for (const [name, body] of malformed) {
    it(`a body that is ${name} is a SystemError with no traceId`, () => {
      const result = TokenProtocol.decodeV3(200, body)
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) {
        assert.strictEqual(result.failure._tag, "SystemError")
        if (result.failure._tag === "SystemError") assert.isTrue(Option.isNone(result.failure.traceId))
      }
    })
  }

  it("a decode error never quotes the body's values", () => {
    const body = "{\"code\":\"200\",\"data\":{\"corpId\":\"c\",\"accessToken\":\"LEAKED-TOKEN\",\"refreshToken\":\"LEAKED-REFRESH\"}}"
    const result = TokenProtocol.decodeV3(200, body)
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result)) {
      const shown = `${result.failure.message} ${JSON.stringify(result.failure)} ${String(result.failure)}`
      assert.notInclude(shown, "LEAKED")
      assert.include(shown, "expiresTime")
    }
  })

  it("property: any JSON value, any text, any status is a token or an AuthError, never a defect", () => {
    const bodies = fc.oneof(
      fc.json(),
      fc.string(),
      fc.jsonValue().map((data) => JSON.stringify({ code: "200", msg: "操作成功", data })),
      fc.record({
        code: fc.oneof(fc.constantFrom("200", "403", "500"), fc.string()),
        msg: fc.option(fc.string(), { nil: undefined }),
        data: fc.jsonValue(),
        traceId: fc.option(fc.string(), { nil: undefined })
      }).map((r) => JSON.stringify(r))
    )
    fc.assert(
      fc.property(fc.constantFrom(200, 200, 200, 403, 500, 502), bodies, (status, body) => {
        const result = TokenProtocol.decodeV3(status, body)
        if (Result.isFailure(result)) return AuthError.isAuthError(result.failure)
        return status === 200 && typeof result.success.corpId === "string" && Number.isFinite(result.success.expiresTime)
      }),
      { numRuns: 2000 }
    )
  })
})

describe("readAnswer", () => {
  const request = HttpClientRequest.post("https://open.hosecloud.com/auth/openApi/v3/getAccessToken")
  const answer = (body: BodyInit, headers: Record<string, string> = {}) =>
    HttpClientResponse.fromWeb(request, new Response(body, { headers }))

  it.effect("a content-length above the limit is refused before a byte of the body is read", () =>
    Effect.gen(function*() {
      let pulled = 0
      const body = new ReadableStream<Uint8Array>({
        pull: (controller) => {
          pulled++
          controller.enqueue(new Uint8Array(1024))
        }
      })
      const error = yield* Effect.flip(TokenProtocol.readAnswer(answer(body, { "content-length": "4096" }), 1024))
      assert.strictEqual(error._tag, "SystemError")
      assert.include(error.message, "larger than 1024 bytes")
      // the stream's start may have queued its first chunk; nothing asked for more
      assert.isAtMost(pulled, 1)
    }))

  it.effect("a body sent without a length is measured once read: over the limit refused, at the limit read whole", () =>
    Effect.gen(function*() {
      const chunked = (size: number) =>
        new ReadableStream<Uint8Array>({
          start: (controller) => {
            controller.enqueue(new TextEncoder().encode("x".repeat(size - 10)))
            controller.enqueue(new TextEncoder().encode("y".repeat(10)))
            controller.close()
          }
        })
      const over = yield* Effect.flip(TokenProtocol.readAnswer(answer(chunked(1025)), 1024))
      assert.include(over.message, "larger than 1024 bytes")
      const whole = yield* TokenProtocol.readAnswer(answer(chunked(1024)), 1024)
      assert.strictEqual(whole.body, `${"x".repeat(1014)}${"y".repeat(10)}`)
      assert.strictEqual(whole.status, 200)
    }))
})
