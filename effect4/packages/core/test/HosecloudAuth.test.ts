import { AuthError, HosecloudAuth, Validation } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, ConfigProvider, DateTime, Duration, Effect, Exit, Fiber, Layer, Option, Redacted, Schedule, Scope, Stream } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { demoKey, demoSecret, setup, tokenRequests } from "./utils/setup.js"
import { poll } from "./utils/fibers.js"

const millis = (d: Duration.Input) => Duration.toMillis(d)
const expiresAt = (t: { expiresAt: DateTime.Utc }) => DateTime.toEpochMillis(t.expiresAt)
const now = Effect.map(Clock.currentTimeMillis, (n) => n)

/** Advances the test clock to an absolute time. */
const advanceTo = (at: number) =>
  Effect.flatMap(Clock.currentTimeMillis, (current) =>
    at > current ? TestClock.adjust(Duration.millis(at - current)) : Effect.void)

const systemErrors = (n: number, prefix = "trace") =>
  Array.from({ length: n }, (_, i) => HosecloudSimulator.Fault.systemError(`${prefix}-${i}`))

describe("1. lazy and eager", () => {
  it.effect("building the layer makes no request; the first token does", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      assert.strictEqual(yield* tokenRequests(sim), 0)
      assert.isTrue(Option.isNone(yield* auth.current))
      const token = yield* auth.token
      assert.strictEqual(token.corpId, "DEMOcorp00001")
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))

  it.effect("eager fetches while the layer is built", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const layer = HosecloudAuth.layer({ appKey: demoKey, appSecurity: Redacted.make(demoSecret) }).pipe(
        HosecloudAuth.eager,
        Layer.provide(Layer.succeed(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
      )
      const context = yield* Layer.build(layer)
      assert.strictEqual(yield* tokenRequests(sim), 1)
      const auth = yield* Effect.provide(HosecloudAuth.HosecloudAuth, context)
      assert.isTrue(Option.isSome(yield* auth.current))
      yield* auth.token
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))

  it.effect("eager with a wrong key fails the layer with InvalidKey", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const layer = HosecloudAuth.layer({ appKey: demoKey, appSecurity: Redacted.make("wrong") }).pipe(
        HosecloudAuth.eager,
        Layer.provide(Layer.succeed(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
      )
      const exit = yield* Effect.exit(Layer.build(layer))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const failure = Option.getOrThrow(Cause.findErrorOption(exit.cause))
        assert.include(String(failure), "InvalidKey")
      }
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "InvalidKey"), 1)
    }))
})

describe("2. single flight", () => {
  it.effect("1000 concurrent callers with no token make exactly one request and share the token", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const tokens = yield* Effect.all(Array.from({ length: 1000 }, () => auth.token), { concurrency: "unbounded" })
      assert.strictEqual(yield* tokenRequests(sim), 1)
      assert.isTrue(tokens.every((t) => t === tokens[0]))
    }))

  it.effect("concurrent callers share one InvalidKey from one request", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ appSecurity: Redacted.make("wrong") })
      const errors = yield* Effect.all(Array.from({ length: 200 }, () => Effect.flip(auth.token)), {
        concurrency: "unbounded"
      })
      assert.strictEqual(yield* tokenRequests(sim), 1)
      assert.isTrue(errors.every((e) => e === errors[0] && e._tag === "InvalidKey"))
    }))

  it.effect("concurrent callers share one SystemError and one retry sequence", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      yield* sim.script("token", ...systemErrors(20))
      const fibers = yield* Effect.all(Array.from({ length: 200 }, () => Effect.forkChild(Effect.flip(auth.token))))
      yield* TestClock.adjust("3 seconds")
      const errors = yield* Effect.all(fibers.map(Fiber.join))
      // one request and the four retries of the waiting budget, for all 200 callers together
      assert.strictEqual(yield* tokenRequests(sim), 5)
      assert.isTrue(errors.every((e) => e === errors[0]))
      const error = errors[0]
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") assert.deepStrictEqual(error.traceId, Option.some("trace-4"))
    }))

  it.effect("an interrupted caller does not cancel the request the others wait on", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      yield* sim.script("token", HosecloudSimulator.Fault.delay("1 second"))
      const first = yield* Effect.forkChild(auth.token)
      const second = yield* Effect.forkChild(auth.token)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(first)
      yield* TestClock.adjust("1 second")
      const token = yield* Fiber.join(second)
      assert.strictEqual(token.corpId, "DEMOcorp00001")
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))
})

describe("3. schedule-based refresh", () => {
  it.effect("refreshes at expiresAt minus the window, in the background", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      const refreshAt = expiresAt(first) - millis("5 minutes")
      yield* advanceTo(refreshAt - 1)
      assert.strictEqual(yield* tokenRequests(sim), 1)
      assert.strictEqual(yield* auth.token, first)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* tokenRequests(sim), 2)
      const second = yield* auth.token
      assert.notStrictEqual(Redacted.value(second.accessToken), Redacted.value(first.accessToken))
      // and again for the second token, with no caller involved
      yield* advanceTo(expiresAt(second) - millis("5 minutes"))
      assert.strictEqual(yield* tokenRequests(sim), 3)
    }))

  it.effect("a token that lives 4 seconds is refreshed at half its life, never in a loop", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({}, { tokenLifetime: "4 seconds", sendDate: false })
      yield* auth.token
      yield* TestClock.adjust("10 seconds")
      // tokens at 0, 2, 4, 6, 8 and 10 seconds
      assert.strictEqual(yield* tokenRequests(sim), 6)
      const token = yield* auth.token
      assert.isTrue(token.millisLeft(yield* now) > 0)
    }))

  it.effect("a token issued already inside the window is refreshed at half its life", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ refreshWindow: "10 minutes" }, { tokenLifetime: "4 minutes", sendDate: false })
      yield* auth.token
      yield* TestClock.adjust(Duration.fromInputUnsafe("2 minutes").pipe(Duration.subtract(Duration.millis(1))))
      assert.strictEqual(yield* tokenRequests(sim), 1)
      yield* TestClock.adjust("1 millis")
      assert.strictEqual(yield* tokenRequests(sim), 2)
    }))

  it.effect("closing the layer's scope stops the refresh: no request after release", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const layer = HosecloudAuth.layer({ appKey: demoKey, appSecurity: Redacted.make(demoSecret) }).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
      )
      yield* Effect.scoped(Effect.gen(function*() {
        const auth = yield* Effect.provide(HosecloudAuth.HosecloudAuth, yield* Layer.build(layer))
        yield* auth.token
      }))
      yield* TestClock.adjust("10 hours")
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))
})

describe("4. the old token is served during a refresh", () => {
  it.effect("while the refresh request is slow and while it is retried", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      yield* sim.script("token", HosecloudSimulator.Fault.delay("3 seconds"), ...systemErrors(3))
      yield* advanceTo(expiresAt(first) - millis("5 minutes"))
      // the refresh request is held by the server: callers still get the old token at once
      assert.strictEqual(yield* auth.token, first)
      yield* TestClock.adjust("3 seconds")
      // the slow one succeeded
      const second = yield* auth.token
      assert.notStrictEqual(second, first)
      assert.strictEqual(yield* tokenRequests(sim), 2)
      // the next refresh fails three times: the current token is served all along
      yield* advanceTo(expiresAt(second) - millis("5 minutes"))
      assert.strictEqual(yield* auth.token, second)
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* tokenRequests(sim), 6)
      const third = yield* auth.token
      assert.notStrictEqual(third, second)
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "SystemError"), 3)
    }))
})

describe("5. SystemError retries", () => {
  it.effect("background retries back off until the token expires, then callers get the last traceId", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      yield* sim.script("token", ...systemErrors(500))
      yield* advanceTo(expiresAt(first) - millis("5 minutes"))
      yield* advanceTo(expiresAt(first) - 1)
      assert.strictEqual(yield* auth.token, first)
      const during = (yield* tokenRequests(sim)) - 1
      // 100 ms doubling, capped at 30 s, over 5 minutes: about 18 attempts, never a hammering
      assert.isAtLeast(during, 12)
      assert.isAtMost(during, 25)
      yield* TestClock.adjust("1 millis")
      const caller = yield* Effect.forkChild(Effect.flip(auth.token))
      yield* TestClock.adjust("3 seconds")
      const error = yield* Fiber.join(caller)
      const total = yield* tokenRequests(sim)
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") {
        assert.deepStrictEqual(error.traceId, Option.some(`trace-${total - 2}`))
        assert.strictEqual(error.reason, "Upstream")
      }
    }))

  it.effect("a caller with no token gets the SystemError after a few attempts within about 2 seconds", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      yield* sim.script("token", ...systemErrors(50))
      const caller = yield* Effect.forkChild(Effect.flip(auth.token))
      yield* TestClock.adjust("2 seconds")
      const exit = yield* poll(caller)
      assert.isTrue(Option.isSome(exit), "the caller must not wait past the budget")
      assert.strictEqual(yield* tokenRequests(sim), 5)
      const error = yield* Fiber.join(caller)
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") assert.deepStrictEqual(error.traceId, Option.some("trace-4"))
      // the next caller starts afresh, and succeeds once the server recovers
      yield* sim.script("token") // nothing more than the rest of the queue
    }))

  it.effect("the first request after an outage succeeds", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      yield* sim.script("token", ...systemErrors(7))
      const caller = yield* Effect.forkChild(Effect.flip(auth.token))
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(caller)
      assert.strictEqual(yield* tokenRequests(sim), 5)
      const second = yield* Effect.forkChild(auth.token)
      yield* TestClock.adjust("1 second")
      const token = yield* Fiber.join(second)
      assert.strictEqual(token.corpId, "DEMOcorp00001")
      assert.strictEqual(yield* tokenRequests(sim), 8)
    }))

  it.effect("transport failures, HTTP 5xx, time-outs and malformed bodies are SystemErrors with no traceId", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0), requestTimeout: "1 second" })
      const reasons: Array<string> = []
      for (
        const fault of [
          HosecloudSimulator.Fault.httpStatus(502),
          HosecloudSimulator.Fault.delay("5 seconds"),
          HosecloudSimulator.Fault.malformed("not json"),
          HosecloudSimulator.Fault.malformed("{\"code\":\"200\",\"data\":{\"corpId\":1}}"),
          HosecloudSimulator.Fault.malformed("{\"code\":\"777\",\"msg\":\"?\"}")
        ]
      ) {
        yield* sim.script("token", fault)
        const caller = yield* Effect.forkChild(Effect.flip(auth.token))
        yield* TestClock.adjust("1 second")
        const error = yield* Fiber.join(caller)
        assert.strictEqual(error._tag, "SystemError")
        if (error._tag === "SystemError") {
          assert.isTrue(Option.isNone(error.traceId))
          reasons.push(error.reason)
        }
      }
      assert.deepStrictEqual(reasons, ["Upstream", "Timeout", "Decode", "Decode", "Upstream"])
      // and the cache is unharmed
      const token = yield* auth.token
      assert.strictEqual(token.corpId, "DEMOcorp00001")
    }))

  it.effect("a connection failure is a SystemError(Transport) with a cause", () =>
    Effect.gen(function*() {
      const failing = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, cause: new Error("ECONNREFUSED") })
          })
        )
      )
      const auth = yield* HosecloudAuth.make({
        appKey: demoKey,
        appSecurity: Redacted.make(demoSecret),
        waitRetry: Schedule.recurs(0)
      }).pipe(Effect.provideService(HttpClient.HttpClient, failing))
      const error = yield* Effect.flip(auth.token)
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") {
        assert.strictEqual(error.reason, "Transport")
        assert.include(String(error.cause), "Transport")
      }
    }))
})

describe("6. InvalidKey", () => {
  it.effect("is never retried and is answered from memory during the cool-down", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ appSecurity: Redacted.make("wrong") })
      const first = yield* Effect.flip(auth.token)
      assert.strictEqual(first._tag, "InvalidKey")
      for (let i = 0; i < 50; i++) assert.strictEqual(yield* Effect.flip(auth.token), first)
      assert.strictEqual(yield* Effect.flip(auth.refresh), first)
      yield* TestClock.adjust("29 seconds")
      yield* Effect.flip(auth.token)
      assert.strictEqual(yield* tokenRequests(sim), 1)
      yield* TestClock.adjust("1 second")
      const again = yield* Effect.flip(auth.token)
      assert.strictEqual(again._tag, "InvalidKey")
      assert.notStrictEqual(again, first)
      assert.strictEqual(yield* tokenRequests(sim), 2)
    }))

  it.effect("stops the background refresh; the valid token is still served until it expires", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      yield* sim.script("token", HosecloudSimulator.Fault.invalidKey())
      yield* advanceTo(expiresAt(first) - millis("5 minutes"))
      assert.strictEqual(yield* tokenRequests(sim), 2)
      yield* advanceTo(expiresAt(first) - 1)
      assert.strictEqual(yield* tokenRequests(sim), 2)
      assert.strictEqual(yield* auth.token, first)
      yield* TestClock.adjust("1 millis")
      // expired, and the cool-down is long over: the next caller tries the key again
      const second = yield* auth.token
      assert.notStrictEqual(second, first)
      assert.strictEqual(yield* tokenRequests(sim), 3)
    }))
})

describe("7. clock skew", () => {
  for (const skew of ["10 minutes", "-10 minutes"] as const) {
    it.effect(`server ${skew} off: tokens are neither expired at birth nor served after expiry`, () =>
      Effect.gen(function*() {
        const { auth, sim } = yield* setup({}, { skew: skew.startsWith("-") ? -600_000 : 600_000 })
        const token = yield* auth.token
        const left = token.millisLeft(yield* now)
        assert.isAtMost(left, millis("2 hours"))
        assert.isAtLeast(left, millis("2 hours") - 2000)
        // the server's own expiry, in local time
        const issued = (yield* sim.issued)[0]
        const offset = skew.startsWith("-") ? -600_000 : 600_000
        assert.strictEqual(issued.expiresTime, offset + millis("2 hours"))
        assert.isAtMost(expiresAt(token), issued.expiresTime - offset)
        // with every refresh failing, it is served until just before the server's expiry, and not after it
        yield* sim.script("token", ...systemErrors(1000))
        yield* advanceTo(issued.expiresTime - offset - 1001)
        assert.strictEqual(yield* auth.token, token)
        yield* advanceTo(issued.expiresTime - offset)
        assert.isTrue(Option.isNone(yield* auth.current))
      }))
  }

  it.effect("without a Date header the local clock is used", () =>
    Effect.gen(function*() {
      const { auth } = yield* setup({}, { sendDate: false })
      const token = yield* auth.token
      assert.strictEqual(token.millisLeft(yield* now), millis("2 hours"))
    }))

  it.effect("a token already expired after correction is a SystemError, not a loop", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({}, { tokenLifetime: 0 })
      const caller = yield* Effect.forkChild(Effect.flip(auth.token))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(caller)
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") assert.strictEqual(error.reason, "Expired")
      assert.strictEqual(yield* tokenRequests(sim), 5)
    }))
})

describe("8. invalidate", () => {
  it.effect("drops only the current token, and makes no request", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      const second = yield* auth.refresh
      assert.strictEqual(yield* tokenRequests(sim), 2)
      yield* auth.invalidate(first)
      assert.strictEqual(yield* auth.token, second)
      assert.strictEqual(yield* tokenRequests(sim), 2)
      yield* auth.invalidate(second)
      assert.strictEqual(yield* tokenRequests(sim), 2)
      const third = yield* auth.token
      assert.notStrictEqual(third, second)
      assert.strictEqual(yield* tokenRequests(sim), 3)
    }))

  it.effect("refresh joins a request in flight", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      yield* sim.script("token", HosecloudSimulator.Fault.delay("1 second"))
      const a = yield* Effect.forkChild(auth.token)
      const b = yield* Effect.forkChild(auth.refresh)
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(a), yield* Fiber.join(b))
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))

  it.effect("changes emits each new token", () =>
    Effect.gen(function*() {
      const { auth } = yield* setup()
      const seen = yield* auth.changes.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      const first = yield* auth.token
      const second = yield* auth.refresh
      const collected = Array.from(yield* Fiber.join(seen))
      assert.deepStrictEqual(collected, [first, second])
    }))

  it.effect("changes and events end when the service's scope closes, with what they saw", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const { auth } = yield* Scope.provide(setup(), scope)
      const changes = yield* auth.changes.pipe(Stream.runCollect, Effect.forkChild)
      const events = yield* auth.events.pipe(Stream.map((e) => e._tag), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      const token = yield* auth.token
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(Array.from(yield* Fiber.join(changes)), [token])
      assert.include(Array.from(yield* Fiber.join(events)), "TokenIssued")
    }))
})

describe("authUrl and config", () => {
  it.effect("http: is refused except on loopback hosts", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(Effect.fromResult(Validation.url("authUrl", "http://open.hosecloud.com")))
      assert.include(bad.message, "https:")
      assert.strictEqual(yield* Effect.fromResult(Validation.url("authUrl", "http://127.0.0.1:8080")), "http://127.0.0.1:8080")
      assert.strictEqual(yield* Effect.fromResult(Validation.url("authUrl", "http://localhost:1")), "http://localhost:1")
      assert.strictEqual(yield* Effect.fromResult(Validation.url("authUrl", "http://[::1]:1")), "http://[::1]:1")
      assert.strictEqual(yield* Effect.fromResult(Validation.url("authUrl", "https://open.hosecloud.com")), "https://open.hosecloud.com")
    }))

  it.effect("layerConfig reads the credentials and refuses a plain-http host with a ConfigError", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const http = Layer.succeed(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app))
      const withEnv = (env: Record<string, string>) =>
        HosecloudAuth.layerConfig().pipe(
          Layer.provide(http),
          Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord(env)))
        )
      const good = yield* Layer.build(withEnv({ HOSECLOUD_APP_KEY: demoKey, HOSECLOUD_APP_SECURITY: demoSecret }))
      const token = yield* Effect.flatMap(Effect.provide(HosecloudAuth.HosecloudAuth, good), (a) => a.token)
      assert.strictEqual(token.corpId, "DEMOcorp00001")
      const bad = yield* Effect.exit(Layer.build(withEnv({
        HOSECLOUD_APP_KEY: demoKey,
        HOSECLOUD_APP_SECURITY: demoSecret,
        HOSECLOUD_AUTH_URL: "http://example.com"
      })))
      assert.isTrue(Exit.isFailure(bad))
      assert.include(String(bad), "HOSECLOUD_AUTH_URL")
      const missing = yield* Effect.exit(Layer.build(withEnv({ HOSECLOUD_APP_KEY: demoKey })))
      assert.include(String(missing), "HOSECLOUD_APP_SECURITY")
    }))
})

describe("AuthError", () => {
  it.effect("isAuthError recognises both members", () =>
    Effect.sync(() => {
      assert.isTrue(AuthError.isAuthError(new AuthError.InvalidKey({ code: "403", msg: "密钥无效" })))
      assert.isTrue(AuthError.isAuthError(AuthError.systemError({ reason: "Upstream", description: "x" })))
      assert.isFalse(AuthError.isAuthError(new Error("x")))
    }))
})

