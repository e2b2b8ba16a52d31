// The Effect 3 -> 4 traps, each where this library uses the API: calls that compile on both and mean different
// things. Every test here fails if the port kept the Effect 3 meaning of the call.
import { AccessToken, AuthError, HosecloudAuth, TokenProtocol, Validation } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { Clock, DateTime, Duration, Effect, Exit, Fiber, Random, Redacted, Result, Schedule, Schema, Scope, Stream } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { Events } from "../src/internal/engine/events.js"
import { monotonicMillis } from "../src/internal/engine/wakeup.js"
import { ManualClock } from "./utils/manualClock.js"
import { observe } from "./utils/observe.js"
import { demoKey, demoSecret, setup, tokenRequests } from "./utils/setup.js"
import { setupClient } from "./utils/client.js"

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../packages/core/test/fixtures/${name}`, import.meta.url), "utf8")

describe("Random.nextIntBetween includes its upper bound in Effect 4", () => {
  it.effect("the simulator's random faults pick among the faults given, never one past the end", () =>
    Effect.gen(function*() {
      // one fault, always: an index drawn from [0, 1] instead of [0, 1) would pick no fault about half the time
      const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0) })
      yield* sim.setRandomFaults("token", 1, [HosecloudSimulator.Fault.systemError("0123456789abcdef0123456789abcdef")])
      for (let i = 0; i < 64; i++) {
        const error = yield* Effect.flip(auth.refresh)
        assert.strictEqual(error._tag, "SystemError")
        if (error._tag === "SystemError") assert.strictEqual(error.reason, "Upstream")
      }
      assert.strictEqual(yield* tokenRequests(sim), 64)
    }).pipe(Random.withSeed("nextIntBetween bounds")))

  it.effect("the bound itself: inclusive unless halfOpen", () =>
    Effect.gen(function*() {
      const draws = yield* Effect.all(Array.from({ length: 200 }, () => Random.nextIntBetween(0, 1)))
      const halfOpen = yield* Effect.all(Array.from({ length: 200 }, () => Random.nextIntBetween(0, 1, { halfOpen: true })))
      assert.isTrue(draws.includes(1))
      assert.isTrue(halfOpen.every((n) => n === 0))
    }).pipe(Random.withSeed("bounds")))
})

describe("Schema.Redacted and Schema.DateTimeUtc are Effect 3's ...FromSelf; RedactedFromValue decodes a string", () => {
  it.effect("the v3 wire data decodes strings into Redacted tokens, the AccessToken holds Redacted values", () =>
    Effect.sync(() => {
      const decoded = Schema.decodeUnknownSync(AccessToken.V3TokenData)({
        corpId: "c",
        accessToken: "the-access-token",
        refreshToken: "the-refresh-token",
        expiresTime: 7_200_000,
        scope: "tenant"
      })
      assert.isTrue(Redacted.isRedacted(decoded.accessToken))
      assert.strictEqual(Redacted.value(decoded.accessToken), "the-access-token")
      assert.notInclude(String(decoded.accessToken), "the-access-token")
      // the documented answer, through the protocol's own decoder
      const issued = TokenProtocol.decodeV3(200, fixture("v3-success.json"))
      assert.isTrue(Result.isSuccess(issued) && Redacted.isRedacted(issued.success.accessToken))
      // an AccessToken is made of Redacted values and DateTime.Utc values, not of strings or Dates
      const fields = {
        corpId: "c",
        accessToken: Redacted.make("a"),
        refreshToken: Redacted.make("r"),
        scope: "tenant",
        expiresAt: DateTime.makeUnsafe(7_200_000),
        issuedAt: DateTime.makeUnsafe(0)
      }
      const decode = Schema.decodeUnknownResult(AccessToken.AccessToken)
      const token = decode(fields)
      assert.isTrue(Result.isSuccess(token) && Redacted.value(token.success.accessToken) === "a")
      assert.isTrue(Result.isFailure(decode({ ...fields, accessToken: "plain" })))
      assert.isTrue(Result.isFailure(decode({ ...fields, expiresAt: "1970-01-01T02:00:00.000Z" })))
    }))
})

describe("offering to a shut-down PubSub answers false in Effect 4 (Effect 3 interrupted)", () => {
  it.effect("an event published after the engine's scope closed is dropped; the publisher goes on, the stream has ended", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const events = new Events(scope)
      const received: Array<string> = []
      const subscriber = yield* Effect.forkChild(
        Stream.runForEach(events.stream(), (event) => Effect.sync(() => received.push(event._tag)))
      )
      // published until the subscriber (which subscribes when its stream starts) has one
      for (let i = 0; i < 100 && received.length === 0; i++) {
        yield* events.publish({ _tag: "RequestFailed", error: AuthError.systemError({ reason: "Timeout", description: "t" }) })
        yield* Effect.yieldNow
      }
      const before = received.length
      assert.isAbove(before, 0)
      yield* Scope.close(scope, Exit.void)
      // the subscriber's stream ended with the scope
      assert.isTrue(Exit.isSuccess(yield* Fiber.await(subscriber)))
      // a publisher after the close (the engine's own finalizer publishes) is not interrupted
      const late = yield* Effect.exit(
        events.publish({ _tag: "RequestFailed", error: AuthError.systemError({ reason: "Timeout", description: "late" }) })
      )
      assert.isTrue(Exit.isSuccess(late))
      assert.strictEqual(received.length, before)
    }))
})

describe("durations keep their sign in Effect 4 (Effect 3 clamped them to zero)", () => {
  it.effect("a negative duration option is refused by the positive-duration rule, named", () =>
    Effect.gen(function*() {
      const check = Validation.duration("refreshWindow", -60_000, "5 minutes")
      assert.isTrue(Result.isFailure(check))
      if (Result.isFailure(check)) {
        assert.strictEqual(check.failure.rule, "must be a positive, finite duration")
        assert.strictEqual(check.failure.option, "refreshWindow")
      }
      // Effect 4 itself: a negative input stays negative
      assert.isTrue(Duration.toMillis(Duration.millis(-60_000)) < 0)
      const error = yield* Effect.flip(
        HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), requestTimeout: "-5 seconds" }).pipe(
          Effect.provideService(HttpClient.HttpClient, HttpClient.make(() => Effect.die("no request"))),
          Effect.scoped
        )
      )
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.strictEqual(error.option, "requestTimeout")
    }))

  it.effect("a retry delay cut at a token's expiry never goes below zero", () =>
    Effect.gen(function*() {
      // a 4-second token: the refresher's retries are cut at its expiry, and announced with their delay
      const { auth, sim } = yield* setup({ retry: Schedule.spaced("10 seconds") }, { tokenLifetime: "4 seconds" })
      const delays: Array<number> = []
      yield* auth.events.pipe(
        Stream.runForEach((event) =>
          Effect.sync(() => {
            if (event._tag === "RetryScheduled") delays.push(Duration.toMillis(event.delay))
          })
        ),
        Effect.forkScoped
      )
      yield* Effect.yieldNow
      yield* auth.token
      yield* sim.setDown("token", HosecloudSimulator.Fault.systemError())
      for (let i = 0; i < 10; i++) yield* TestClock.adjust("1 second")
      assert.isAbove(delays.length, 0)
      assert.isTrue(delays.every((d) => d >= 0), String(delays))
    }))
})

describe("Schedule.stop is gone in Effect 4", () => {
  it.effect("no retry is Schedule.recurs(0): one request; undefined falls back to the default retries", () =>
    Effect.gen(function*() {
      // a port that kept `Schedule.stop` would pass `undefined`, and get the default retries without a word
      assert.isUndefined((Schedule as Record<string, unknown>)["stop"])
      const once = yield* setup({ waitRetry: Schedule.recurs(0) })
      yield* once.sim.setDown("token", HosecloudSimulator.Fault.systemError())
      assert.strictEqual((yield* Effect.flip(once.auth.token))._tag, "SystemError")
      assert.strictEqual(yield* tokenRequests(once.sim), 1)
      const fallback = yield* setup({ waitRetry: undefined })
      yield* fallback.sim.setDown("token", HosecloudSimulator.Fault.systemError())
      const caller = yield* Effect.forkChild(Effect.flip(fallback.auth.token))
      for (let i = 0; i < 20; i++) yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(caller))._tag, "SystemError")
      assert.strictEqual(yield* tokenRequests(fallback.sim), 5)
    }))
})

describe("Effect.repeat({ times }) waits on the clock between runs in Effect 4", () => {
  it.effect("on the hand-driven clock the engine tests use, repeat({ times }) waits for the clock; replicateEffect does not", () =>
    Effect.gen(function*() {
      const clock = new ManualClock()
      let repeated = 0
      let replicated = 0
      const repeat = yield* Effect.forkChild(
        Effect.repeat(Effect.sync(() => repeated++), { times: 3 }).pipe(Effect.provideService(Clock.Clock, clock))
      )
      yield* Effect.replicateEffect(Effect.sync(() => replicated++), 4, { discard: true }).pipe(
        Effect.provideService(Clock.Clock, clock)
      )
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow
      assert.strictEqual(replicated, 4)
      // the first run, then a sleep of zero on the hand-driven clock, which only its advance ends
      assert.strictEqual(repeated, 1)
      assert.isUndefined(repeat.pollUnsafe())
      yield* clock.advance("1 second")
      yield* Fiber.join(repeat)
      assert.strictEqual(repeated, 4)
    }))
})

describe("Effect 4's currentTimeNanos is a wall clock: deadlines are on monotonicTimeNanos", () => {
  it.effect("the engine's clock is the monotonic one", () =>
    Effect.sync(() => {
      const clock: Clock.Clock = {
        currentTimeMillisUnsafe: () => 1_000_000,
        currentTimeMillis: Effect.succeed(1_000_000),
        currentTimeNanosUnsafe: () => 1_000_000_000_000n,
        currentTimeNanos: Effect.succeed(1_000_000_000_000n),
        monotonicTimeNanosUnsafe: () => 5_000_000n,
        monotonicTimeNanos: Effect.succeed(5_000_000n),
        sleep: () => Effect.void
      }
      assert.strictEqual(monotonicMillis(clock), 5)
    }))

  it.effect("the wall clock set back an hour does not keep an expired token", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ refreshSchedule: Schedule.recurs(0) }, { sendDate: false })
      const first = yield* auth.token
      yield* TestClock.adjust("2 hours")
      // the wall clock goes back an hour; the token's two hours are over on the monotonic clock all the same
      yield* TestClock.setTime((yield* Clock.currentTimeMillis) - 3_600_000)
      const second = yield* auth.token
      assert.notStrictEqual(Redacted.value(second.accessToken), Redacted.value(first.accessToken))
      assert.strictEqual(yield* tokenRequests(sim), 2)
    }))
})

describe("what a user sees: span names, log level labels, error tags", () => {
  it.effect("the business request's span is GET, the token request's POST; an Info line labelled Info", () =>
    Effect.gen(function*() {
      const { logs, spans } = yield* observe(Effect.gen(function*() {
        const { client } = yield* setupClient()
        yield* client.get("/api/openapi/v1/corporations")
      }))
      const names = spans.map((s) => s.name)
      assert.include(names, "GET")
      assert.include(names, "POST")
      assert.include(names, "HosecloudAuth.request")
      assert.notInclude(names, "http.client GET")
      const issued = logs.find((l) => l.message === "Hosecloud access token issued")
      assert.strictEqual(issued?.level, "Info")
    }))

  it.effect("a transport failure of a business request is an HttpClientError with reason TransportError", () =>
    Effect.gen(function*() {
      const { auth, client } = yield* setupClient({
        http: (base) =>
          HttpClient.make((request) =>
            request.url.includes("getAccessToken")
              ? base.execute(request)
              : Effect.fail(
                new HttpClientError.HttpClientError({
                  reason: new HttpClientError.TransportError({ request, cause: new Error("connect ECONNREFUSED") })
                })
              )
          )
      })
      yield* auth.token
      const error = yield* Effect.flip(client.get("/api/openapi/v1/corporations"))
      assert.strictEqual(error._tag, "HttpClientError")
      if (error._tag === "HttpClientError") assert.strictEqual(error.reason._tag, "TransportError")
    }))

  it.effect("a token request that cannot connect: SystemError (Transport) whose cause is named after the reason", () =>
    Effect.gen(function*() {
      const refused = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({
              request,
              cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" })
            })
          })
        )
      )
      const auth = yield* HosecloudAuth.make({
        appKey: demoKey,
        appSecurity: Redacted.make(demoSecret),
        waitRetry: Schedule.recurs(0)
      }).pipe(Effect.provideService(HttpClient.HttpClient, refused))
      const error = yield* Effect.flip(auth.token)
      assert.strictEqual(error._tag, "SystemError")
      if (error._tag === "SystemError") {
        assert.strictEqual(error.reason, "Transport")
        assert.include(error.description, "the connection was refused")
        assert.strictEqual((error.cause as Error).name, "HttpClientError.TransportError")
      }
    }))
})
