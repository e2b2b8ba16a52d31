import { AuthError, HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Redacted, Schedule } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { observe, renderings, spanText } from "./utils/observe.js"
import { demoKey, demoSecret, setup } from "./utils/setup.js"

const wrongSecret = "wrong-secret-d41d8cd98f00b204"
const leakedToken = "LEAKED-ACCESS-TOKEN-1f3870be274f6c49"

describe("9. secrets", () => {
  it.effect("appSecurity and tokens never reach errors, logs, spans, JSON or inspect output", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const { logs, spans } = yield* observe(Effect.gen(function*() {
        const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0), requestTimeout: "1 second" })
        const first = yield* auth.token
        seen.push(first, auth, yield* auth.refresh)
        yield* auth.invalidate(first)
        yield* sim.script("token", HosecloudSimulator.Fault.delay("5 seconds"))
        const slow = yield* Effect.forkChild(Effect.flip(auth.refresh))
        yield* TestClock.adjust("1 second")
        seen.push(yield* Fiber.join(slow))
        for (
          const fault of [
            HosecloudSimulator.Fault.systemError(),
            HosecloudSimulator.Fault.httpStatus(502),
            HosecloudSimulator.Fault.malformed(`{"code":"200","data":{"corpId":"x","accessToken":"${leakedToken}"}}`),
            HosecloudSimulator.Fault.malformed(`{"code":"200","data":{"accessToken":"${leakedToken}"`),
            HosecloudSimulator.Fault.invalidKey()
          ]
        ) {
          yield* sim.script("token", fault)
          seen.push(yield* Effect.flip(auth.refresh))
        }

        const wrong = yield* setup({ appSecurity: Redacted.make(wrongSecret) })
        seen.push(yield* Effect.flip(wrong.auth.token))

        // a connection that fails: the request (whose body holds appSecurity) must not travel in the error
        const refused = HttpClient.make((request) =>
          Effect.fail(
            new HttpClientError.HttpClientError({
              reason: new HttpClientError.TransportError({
                request,
                cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED", request })
              })
            })
          )
        )
        const offline = yield* HosecloudAuth.make({
          appKey: demoKey,
          appSecurity: Redacted.make(demoSecret),
          waitRetry: Schedule.recurs(0)
        }).pipe(Effect.provideService(HttpClient.HttpClient, refused))
        const transport = yield* Effect.flip(offline.token)
        seen.push(transport, transport._tag === "SystemError" ? transport.cause : undefined)
        seen.push(...(yield* sim.issued))
      }))

      const issuedTokens = seen.filter((v): v is HosecloudSimulator.Issued =>
        typeof v === "object" && v !== null && "revoked" in v
      )
      const secrets = [
        demoSecret,
        wrongSecret,
        leakedToken,
        ...issuedTokens.flatMap((t) => [t.accessToken, t.refreshToken])
      ]
      assert.isAtLeast(issuedTokens.length, 2)
      const shown = [
        ...seen.filter((v) => !issuedTokens.includes(v as HosecloudSimulator.Issued)).flatMap(renderings),
        ...logs.map((l) => l.text),
        ...spans.map(spanText)
      ]
      assert.isAtLeast(logs.length, 8)
      assert.isAtLeast(spans.length, 8)
      for (const secret of secrets) {
        for (const text of shown) {
          if (text.includes(secret)) assert.fail(`a secret was shown: ${text.slice(0, 300)}`)
        }
      }
      // and the errors are the ones a caller can act on
      const errors = seen.filter(AuthError.isAuthError)
      assert.deepStrictEqual(errors.map((e) => e._tag), [
        "SystemError",
        "SystemError",
        "SystemError",
        "SystemError",
        "SystemError",
        "InvalidKey",
        "InvalidKey",
        "SystemError"
      ])
    }))

  it.effect("Redacted values stay redacted in the AccessToken", () =>
    Effect.gen(function*() {
      const { auth } = yield* setup()
      const token = yield* auth.token
      const value = Redacted.value(token.accessToken)
      for (const text of renderings(token)) assert.notInclude(text, value)
      assert.include(JSON.stringify(token), "<redacted>")
    }).pipe(Effect.scoped))

  it.effect("a plain-http remote authUrl is refused with InvalidOptions naming it", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const error = yield* HosecloudAuth.make({
        appKey: demoKey,
        appSecurity: Redacted.make(demoSecret),
        authUrl: "http://open.hosecloud.com"
      }).pipe(Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)), Effect.scoped, Effect.flip)
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.strictEqual(error.option, "authUrl")
      assert.include(error.message, "https:")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
    }))
})
