// A machine whose wall clock is stepped (an NTP correction, an operator's `date -s`) while it holds a token:
// the token's life is kept on the monotonic clock, so it is never served once the server has let it expire.
// The clock here is what Effect's default clock is: a wall clock (`currentTimeMillis`) that can be stepped
// and a monotonic one (`monotonicTimeNanos`) that cannot. The simulator keeps the true time (its skew undoes
// each step) and sends its Date header, as Hosecloud does.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Clock, type Duration, Effect, Redacted, Schedule } from "effect"
import { ManualClock } from "./utils/manualClock.js"
import { demoKey, demoSecret, tokenRequests } from "./utils/setup.js"

/** A wall clock `offset` milliseconds off a monotonic one; both moved by `monotonic`. */
class SteppedClock implements Clock.Clock {
  offset = 0
  constructor(readonly monotonic: ManualClock) {}
  currentTimeMillisUnsafe(): number {
    return this.monotonic.currentTimeMillisUnsafe() + this.offset
  }
  readonly currentTimeMillis = Effect.sync(() => this.currentTimeMillisUnsafe())
  currentTimeNanosUnsafe(): bigint {
    return BigInt(this.currentTimeMillisUnsafe()) * 1_000_000n
  }
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.monotonic.monotonicTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos = Effect.sync(() => this.monotonicTimeNanosUnsafe())
  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return this.monotonic.sleep(duration)
  }
}

const hour = 3_600_000

/**
 * Reads a token every minute for `minutes`, the wall clock stepped to `steps[minute]` (an offset from the
 * true time) where given; answers how many tokens served had expired on the server, and the token requests.
 */
const readThrough = (
  minutes: number,
  steps: Record<number, number>,
  refreshSchedule?: Schedule.Schedule<unknown, any>
) => {
  const monotonic = new ManualClock()
  const clock = new SteppedClock(monotonic)
  return Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make()
    const auth = yield* HosecloudAuth.make({
      appKey: demoKey,
      appSecurity: Redacted.make(demoSecret),
      ...(refreshSchedule === undefined ? {} : { refreshSchedule })
    }).pipe(Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
    const expiredServed: Array<number> = []
    for (let minute = 0; minute < minutes; minute++) {
      const offset = steps[minute]
      if (offset !== undefined) {
        clock.offset = offset
        yield* sim.setSkew(-offset)
      }
      const token = yield* auth.token
      const issued = (yield* sim.issued).find((i) => i.accessToken === Redacted.value(token.accessToken))
      assert.isDefined(issued)
      // the simulator's clock is the true time: the monotonic one
      if (issued!.expiresTime <= monotonic.currentTimeMillisUnsafe()) expiredServed.push(minute)
      yield* monotonic.advance("1 minute")
    }
    return { expiredServed, requests: yield* tokenRequests(sim) }
  }).pipe(Effect.scoped, Effect.provideService(Clock.Clock, clock))
}

describe("a stepped wall clock moves no deadline", () => {
  it.effect("stepped back an hour after the token was issued: it is replaced when the server lets it expire", () =>
    Effect.gen(function*() {
      const { expiredServed, requests } = yield* readThrough(240, { 30: -hour }, Schedule.recurs(0))
      assert.deepStrictEqual(expiredServed, [])
      // tokens at 0 and at 120 minutes, each for its two hours on the monotonic clock
      assert.strictEqual(requests, 2)
    }))

  it.effect("3 hours ahead when the token was issued, then corrected: it is not served past its two hours", () =>
    Effect.gen(function*() {
      const { expiredServed, requests } = yield* readThrough(240, { 0: 3 * hour, 30: 0 }, Schedule.recurs(0))
      assert.deepStrictEqual(expiredServed, [])
      assert.strictEqual(requests, 2)
    }))

  it.effect("steps back and forward around the default refreshes: never an expired token, never a loop of requests", () =>
    Effect.gen(function*() {
      const { expiredServed, requests } = yield* readThrough(480, {
        30: -hour,
        100: 3 * hour,
        130: 0,
        250: -hour,
        330: 3 * hour,
        400: 0
      })
      assert.deepStrictEqual(expiredServed, [])
      // refreshed about every 115 minutes: the first token and at most one refresh per token's life, and one more
      // where a step made the schedule ask early (held back to half the token's life)
      assert.isAtLeast(requests, 5)
      assert.isAtMost(requests, 9)
    }))
})
