// A bad day at Hosecloud, in simulated time: a 72-hour soak with random faults and a wandering server
// clock, a 30-minute outage, and bodies no decoder should trust.
import { type AccessToken, AuthError, HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, DateTime, Duration, Effect, Exit, Fiber, Logger, Option, Random, Redacted, References } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { ManualClock } from "./utils/manualClock.js"
import { demoKey, demoSecret } from "./utils/setup.js"
import { poll } from "./utils/fibers.js"

const allFaults = [
  HosecloudSimulator.Fault.invalidKey(),
  HosecloudSimulator.Fault.systemError(),
  HosecloudSimulator.Fault.httpStatus(502),
  HosecloudSimulator.Fault.httpStatus(504, "<html>Gateway Timeout</html>"),
  HosecloudSimulator.Fault.delay("30 seconds"),
  HosecloudSimulator.Fault.malformed(),
  HosecloudSimulator.Fault.malformed("<html><body>maintenance</body></html>")
]

/** Every log line, from every fiber of the effect (the refresh fibers inherit the logger). */
const capturingLogs = () => {
  const lines: Array<{ level: string; text: string }> = []
  const logger = Logger.make(({ fiber, logLevel, message }) => {
    const annotations = fiber.getRef(References.CurrentLogAnnotations)
    const fields = Object.entries(annotations).map(([k, v]) => `${k}=${String(v)}`).join(" ")
    lines.push({ level: logLevel, text: `${String(message)} ${fields}` })
  })
  return { lines, layer: Logger.layer([logger]) }
}

/** The simulator and a HosecloudAuth on it. */
const setup = (simulator?: HosecloudSimulator.Options) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make(simulator)
    const auth = yield* HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret) }).pipe(
      Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app))
    )
    return { sim, auth }
  })

// the faults, their kinds, the clock's wanderings and the retries' jitter all draw from this seed,
// so a failing run can be replayed exactly
const soakSeed = "hosecloud soak 72h"

describe("soak", () => {
  const logs = capturingLogs()
  const clock = new ManualClock()
  it.effect("72 simulated hours, a read every second, 5% of token requests faulted, the server clock wandering ±10 min", () =>
    Effect.gen(function*() {
      const lines = logs.lines
      const { auth, sim } = yield* setup()
      yield* sim.setRandomFaults("token", 0.05, allFaults)
      const hours = 72
      let reads = 0
      let errors = 0
      let served = 0
      const expiryOf = new Map<string, number>()
      const check = (exit: Exit.Exit<readonly [AccessToken.AccessToken, number], AuthError.AuthError>) =>
        Effect.gen(function*() {
          reads++
          if (Exit.isSuccess(exit)) {
            served++
            const [token, at] = exit.value
            const value = Redacted.value(token.accessToken)
            let expiry = expiryOf.get(value)
            if (expiry === undefined) {
              const issued = (yield* sim.issued).find((t) => t.accessToken === value)!
              // the token's true end, in local time: the server's expiry under the skew it was issued with
              expiry = issued.expiresTime - issued.skew
              expiryOf.set(value, expiry)
            }
            if (at >= expiry) assert.fail(`an expired token was served at ${at} (it ended at ${expiry})`)
          } else {
            // failures are typed, never defects
            if (Cause.hasDies(exit.cause)) assert.fail(`a defect: ${Cause.pretty(exit.cause)}`)
            const failure = Option.getOrThrow(Cause.findErrorOption(exit.cause))
            assert.isTrue(AuthError.isAuthError(failure))
            errors++
          }
        })
      // reads run as their own fibers: one that waits on a retry must not stop the clock
      let pending: Array<Fiber.Fiber<Exit.Exit<readonly [AccessToken.AccessToken, number], AuthError.AuthError>>> = []
      /** Checks the reads that have finished, and keeps the others. */
      const collect = Effect.gen(function*() {
        const still: typeof pending = []
        for (const fiber of pending) {
          const done = yield* poll(fiber)
          if (Option.isSome(done) && Exit.isSuccess(done.value)) yield* check(done.value.value)
          else still.push(fiber)
        }
        pending = still
      })
      for (let second = 0; second < hours * 3600; second++) {
        // every half hour the server's clock jumps to somewhere within ten minutes of ours
        if (second % 1800 === 0) yield* sim.setSkew((yield* Random.nextIntBetween(-600, 601, { halfOpen: true })) * 1000)
        // besides the random faults, every 12 hours the next token request fails with a traceId
        if (second % (12 * 3600) === 0) yield* sim.script("token", HosecloudSimulator.Fault.systemError())
        pending.push(yield* Effect.forkChild(Effect.exit(Effect.zip(auth.token, clock.currentTimeMillis))))
        yield* clock.advance("1 second")
        yield* collect
      }
      // the last reads finish within a request time-out and the waiting budget
      for (let i = 0; i < 30 && pending.length > 0; i++) {
        yield* clock.advance("1 second")
        yield* collect
      }
      assert.strictEqual(pending.length, 0)
      const requests = yield* sim.count("v3.getAccessToken")
      const successes = yield* sim.count("v3.getAccessToken", "success")
      // a 2-hour token refreshed 5 minutes early: one token per 115 minutes
      const ideal = Math.ceil((hours * 60) / 115)
      assert.strictEqual(reads, hours * 3600)
      assert.isAbove(served, reads * 0.999)
      const faulted = requests - successes
      assert.isAtLeast(successes, ideal)
      assert.isAtMost(successes, Math.ceil(ideal * 1.1))
      assert.isAtLeast(faulted, 6)
      // every traceId Hosecloud sent is in a Warning line
      const warnings = lines.filter((l) => l.level === "Warn").map((l) => l.text).join("\n")
      const traceIds = yield* sim.traceIdsSent
      for (const traceId of traceIds) assert.include(warnings, traceId)
      assert.isAbove(traceIds.length, 0)
      assert.isBelow(errors, reads * 0.001)
    }).pipe(Effect.provide(logs.layer), Effect.provideService(Clock.Clock, clock), Random.withSeed(soakSeed)), 240_000)
})

describe("outage", () => {
  it.effect("30 minutes down with 10 left on the token: served until it expires, then SystemError, then recovery", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup({ sendDate: false })
      const token = yield* auth.token
      const expiry = DateTime.toEpochMillis(token.expiresAt)
      yield* TestClock.adjust(Duration.millis(expiry - 10 * 60_000))
      yield* sim.setDown("token", HosecloudSimulator.Fault.systemError("0badc0de0badc0de0badc0de0badc0de"))
      // the old token, every second until it expires
      for (let second = 0; second < 600; second++) {
        const served = yield* auth.token
        assert.strictEqual(served, token)
        yield* TestClock.adjust("1 second")
      }
      // expired, still down: callers get the SystemError with its traceId, within the waiting budget
      for (let minute = 0; minute < 19; minute++) {
        const caller = yield* Effect.forkChild(Effect.flip(auth.token))
        yield* TestClock.adjust("2 seconds")
        const error = Option.getOrThrow(yield* poll(caller))
        assert.isTrue(Exit.isSuccess(error), "the caller was answered within 2 seconds")
        if (Exit.isSuccess(error)) {
          assert.strictEqual(error.value._tag, "SystemError")
          if (error.value._tag === "SystemError") {
            assert.deepStrictEqual(error.value.traceId, Option.some("0badc0de0badc0de0badc0de0badc0de"))
          }
        }
        yield* TestClock.adjust("58 seconds")
      }
      const during = yield* sim.count("v3.getAccessToken")
      yield* TestClock.adjust("1 minute")
      yield* sim.setDown("token", undefined)
      // the first request after recovery succeeds at once
      const caller = yield* Effect.forkChild(auth.token)
      yield* TestClock.adjust("1 millis")
      const fresh = Option.getOrThrow(yield* poll(caller))
      assert.isTrue(Exit.isSuccess(fresh))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), during + 1)
      // background retries during the outage were capped: no hammering (10 minutes at <= 30 s, then 5 per caller)
      assert.isAtMost(during, 1 + 40 + 19 * 5)
    }), 60_000)
})

describe("bad input", () => {
  it.effect("an oversize body, HTML, garbage: typed errors, and the cache is unharmed", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const token = yield* auth.token
      const bodies = [
        `{"code":"200","msg":"${"x".repeat(200_000)}"}`,
        "<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>",
        "\u0000\u0001\u0002binary",
        "{\"code\":\"200\",\"data\":{\"corpId\":\"c\",\"accessToken\":\"t\",\"refreshToken\":\"r\",\"expiresTime\":\"later\",\"scope\":\"tenant\"}}"
      ]
      const reasons: Array<string> = []
      const refreshNow = auth.refresh.pipe(
        Effect.forkDetach,
        Effect.tap(() => TestClock.adjust("3 seconds")),
        Effect.flatMap(Fiber.join),
        Effect.flip
      )
      for (const body of bodies) {
        yield* sim.setDown("token", HosecloudSimulator.Fault.malformed(body))
        const error = yield* refreshNow
        yield* sim.setDown("token", undefined)
        assert.strictEqual(error._tag, "SystemError")
        if (error._tag === "SystemError") reasons.push(error.reason)
        // the valid token is still the one served
        assert.strictEqual(yield* auth.token, token)
      }
      assert.deepStrictEqual(reasons, ["Decode", "Decode", "Decode", "Decode"])
      yield* sim.setDown("token", HosecloudSimulator.Fault.malformed(bodies[0]))
      const oversize = yield* refreshNow
      yield* sim.setDown("token", undefined)
      assert.include(oversize.message, "larger than 65536 bytes")
      const fresh = yield* auth.refresh
      assert.notStrictEqual(fresh, token)
    }))
})
