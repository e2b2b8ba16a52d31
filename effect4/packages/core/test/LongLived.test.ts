// Tokens that live longer than a JavaScript timer can wait (2^31-1 ms, 24.8 days), on the real clock:
// Effect's default clock and the process's own timers, faked by vitest so that 30 days pass in a moment.
// The test clock would hide the problem, since it never hands a sleep to a timer. vitest's fake timers move
// `Date` and the timers but not `performance.now`, which Effect's default clock reads for its monotonic time
// (`monotonicTimeNanos`, where the engine keeps its deadlines): here that time is read from `Date` instead,
// and sleeps go to the default clock's timers as they would.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import { Clock, Duration, Effect, Exit, Redacted, Scope } from "effect"
import { afterEach, assert, beforeEach, describe, it, vi } from "vitest"

const day = 24 * 60 * 60 * 1000

const defaultClock = Effect.runSync(Effect.service(Clock.Clock))
const fakedClock: Clock.Clock = {
  currentTimeMillisUnsafe: () => Date.now(),
  currentTimeMillis: Effect.sync(() => Date.now()),
  currentTimeNanosUnsafe: () => BigInt(Date.now()) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => BigInt(Date.now()) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => BigInt(Date.now()) * 1_000_000n,
  monotonicTimeNanos: Effect.sync(() => BigInt(Date.now()) * 1_000_000n),
  sleep: (duration) => defaultClock.sleep(duration)
}
/** Lets the fibers woken by a timer run to their end: Effect 4 resumes them on (real) setImmediate turns. */
const settle = async () => {
  for (let i = 0; i < 100; i++) await new Promise((resolve) => setImmediate(resolve))
}
const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(Effect.provideService(effect, Clock.Clock, fakedClock))

describe("long-lived tokens on the real clock", () => {
  beforeEach(() => {
    // Effect 4's scheduler yields with setImmediate: that one stays real, or no fiber would ever run
    vi.useFakeTimers({
      now: Date.parse("2026-11-25T00:00:00Z"),
      toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"]
    })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it("a 30-day token is refreshed in the background 5 minutes before it expires", async () => {
    const scope = Effect.runSync(Scope.make())
    const { auth, sim } = await run(
      Effect.gen(function*() {
        const sim = yield* HosecloudSimulator.make({ tokenLifetime: "30 days", sendDate: false })
        const auth = yield* HosecloudAuth.make({
          appKey: "demo-app-key",
          appSecurity: Redacted.make("demo-app-security")
        }).pipe(Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
        return { auth, sim }
      }).pipe(Scope.provide(scope))
    )
    const requests = () => run(sim.count("v3.getAccessToken"))
    try {
      const first = await run(auth.token)
      assert.strictEqual(first.millisLeft(Date.now()), 30 * day)
      // past the 24.8 days a single timer can hold, and up to a second before the refresh is due
      await vi.advanceTimersByTimeAsync(30 * day - Duration.toMillis("5 minutes") - 1000)
      await settle()
      assert.strictEqual(await requests(), 1)
      await vi.advanceTimersByTimeAsync(2000)
      await settle()
      assert.strictEqual(await requests(), 2)
      const second = await run(auth.token)
      assert.notStrictEqual(Redacted.value(second.accessToken), Redacted.value(first.accessToken))
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
})
