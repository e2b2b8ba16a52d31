// refreshSchedule means what Effect.repeat makes of it: one run for the life of the service, its state kept
// from token to token, its end honoured. Ten simulated hours of 2-hour tokens, with nobody asking after the
// first token unless the test says so: every token request and every event counted.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { assert, describe, it } from "@effect/vitest"
import { Clock, DateTime, Effect, Schedule, Stream } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { setup, tokenRequests } from "./utils/setup.js"

const minutes = (n: number) => n * 60_000

/** The service with `refreshSchedule`, and every event it publishes, with the minute it came. */
const watched = (refreshSchedule: Schedule.Schedule<unknown, any>) =>
  Effect.gen(function*() {
    const { auth, sim } = yield* setup({ refreshSchedule }, { sendDate: false })
    const events: Array<string> = []
    yield* auth.events.pipe(
      Stream.runForEach((event) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          // a planned refresh by the time it is due, everything else by the time it happened
          const at = event._tag === "RefreshScheduled" ? DateTime.toEpochMillis(event.at) : now
          events.push(`${event._tag}@${at / 60_000}`)
        })
      ),
      Effect.forkScoped
    )
    yield* Effect.yieldNow
    const requests = () => tokenRequests(sim)
    /** Moves the clock to minute `m` in steps of 5 minutes (every time here is on one), so each wake-up runs in turn. */
    const until = (m: number) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        for (let t = now; t < minutes(m); t += minutes(5)) yield* TestClock.adjust("5 minutes")
      })
    return { auth, events, requests, until }
  })

const of = (events: ReadonlyArray<string>, tag: string) =>
  events.filter((e) => e.startsWith(`${tag}@`)).map((e) => Number(e.slice(tag.length + 1)))

describe("refreshSchedule is one run of the schedule", () => {
  it.effect("spaced(90 minutes) with recurs(2): two refreshes, then tokens on demand for the rest of the service's life", () =>
    Effect.gen(function*() {
      const { auth, events, requests, until } = yield* watched(
        Schedule.max([Schedule.spaced("90 minutes"), Schedule.recurs(2)])
      )
      yield* auth.token
      yield* until(600)
      // the first token, then the refreshes at 90 and 180; the last token lives until 300 and is let go
      assert.strictEqual(yield* requests(), 3)
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [90, 180])
      assert.deepStrictEqual(of(events, "TokenIssued"), [0, 90, 180])
      assert.deepStrictEqual(of(events, "TokenExpired"), [300])
      // the schedule is done: a caller gets a token on demand, and nothing is planned for it
      yield* auth.token
      yield* until(900)
      assert.strictEqual(yield* requests(), 4)
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [90, 180])
      assert.deepStrictEqual(of(events, "TokenExpired"), [300, 720])
    }))

  it.effect("refreshBefore with upTo(4 hours): its elapsed time runs from the first token, and the run ends", () =>
    Effect.gen(function*() {
      const { auth, events, requests, until } = yield* watched(
        HosecloudAuth.refreshBefore("5 minutes").pipe(Schedule.upTo({ duration: "4 hours" }))
      )
      yield* auth.token
      yield* until(600)
      // steps at 0, 115 and 230 minutes are within 4 hours of the first; the step at 345 is not
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [115, 230, 345])
      assert.deepStrictEqual(of(events, "TokenIssued"), [0, 115, 230, 345])
      assert.deepStrictEqual(of(events, "TokenExpired"), [465])
      assert.strictEqual(yield* requests(), 4)
    }))

  it.effect("exponential(70 minutes): 70, then 140 (past the token's life: it expires), then 280 for a caller's token", () =>
    Effect.gen(function*() {
      const { auth, events, requests, until } = yield* watched(Schedule.exponential("70 minutes"))
      yield* auth.token
      yield* until(200)
      // refreshed at 70; the next step asks for 140 minutes after that, at 210, but that token dies at 190
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [70])
      assert.deepStrictEqual(of(events, "TokenExpired"), [190])
      assert.strictEqual(yield* requests(), 2)
      // a caller's token is the run's next input: its step is the third, 280 minutes, past that token's life too
      yield* auth.token
      yield* until(600)
      assert.deepStrictEqual(of(events, "TokenIssued"), [0, 70, 200])
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [70])
      assert.deepStrictEqual(of(events, "TokenExpired"), [190, 320])
      assert.strictEqual(yield* requests(), 3)
    }))

  it.effect("spaced(3 hours), beyond the token's life: it expires at 120 minutes, announced, and nothing is fetched at 180", () =>
    Effect.gen(function*() {
      const { auth, events, requests, until } = yield* watched(Schedule.spaced("3 hours"))
      yield* auth.token
      yield* until(600)
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [])
      assert.deepStrictEqual(of(events, "TokenExpired"), [120])
      assert.strictEqual(yield* requests(), 1)
    }))

  it.effect("the default keeps refreshing 5 minutes before expiry, for as long as the service lives", () =>
    Effect.gen(function*() {
      const { auth, events, requests, until } = yield* watched(HosecloudAuth.refreshBefore("5 minutes"))
      yield* auth.token
      yield* until(600)
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [115, 230, 345, 460, 575, 690])
      assert.deepStrictEqual(of(events, "TokenExpired"), [])
      assert.strictEqual(yield* requests(), 6)
    }))

  it.effect("a schedule that dies in its step ends its run: reported, and tokens come on demand", () =>
    Effect.gen(function*() {
      const dying = Schedule.spaced("90 minutes").pipe(
        Schedule.modifyDelay(({ duration, output }) =>
          Effect.sync(() => (output === 1 ? (() => { throw new Error("schedule bug") })() : duration))
        )
      )
      const { auth, events, requests, until } = yield* watched(dying)
      yield* auth.token
      yield* until(300)
      assert.deepStrictEqual(of(events, "RefreshScheduled"), [90])
      assert.deepStrictEqual(of(events, "TokenExpired"), [210])
      assert.strictEqual(yield* requests(), 2)
    }))
})
