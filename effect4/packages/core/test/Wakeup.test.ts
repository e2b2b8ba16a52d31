import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { Wakeup } from "../src/internal/engine/wakeup.js"

/** A wake-up that records each time it runs, forked in the test's context. */
const recorder = Effect.gen(function*() {
  const woken: Array<number> = []
  const fork = Effect.runForkWith(yield* Effect.context<never>())
  let runs = 0
  const wakeup = new Wakeup(fork, Effect.sync(() => woken.push(++runs)))
  return { woken, wakeup }
})

describe("the engine's wake-up: a fiber asleep until the next deadline", () => {
  it.effect("runs once at its time; a later deadline replaces it; none (undefined) drops it", () =>
    Effect.gen(function*() {
      const { wakeup, woken } = yield* recorder
      wakeup.arm(3_000)
      wakeup.arm(1_000)
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(woken, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(woken, [1])
      yield* TestClock.adjust("5 seconds")
      assert.deepStrictEqual(woken, [1], "the replaced deadline never runs")
      wakeup.arm(7_000)
      wakeup.arm(undefined)
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(woken, [1], "a dropped one never runs")
    }))

  it.effect("an earlier deadline than the one it sleeps for wakes it in time", () =>
    Effect.gen(function*() {
      const { wakeup, woken } = yield* recorder
      wakeup.arm(3_600_000)
      yield* TestClock.adjust("1 second")
      wakeup.arm(2_000)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(woken, [1])
    }))

  it.effect("a deadline 40 days away, further than a timer holds, comes on its day and not before", () =>
    Effect.gen(function*() {
      const { wakeup, woken } = yield* recorder
      const day = 86_400_000
      wakeup.arm(40 * day)
      yield* TestClock.adjust(`${40 * day - 1} millis`)
      assert.deepStrictEqual(woken, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(woken, [1])
    }))

  it.effect("a deadline already past runs at once, after the step that set it; re-arming the same one is nothing", () =>
    Effect.gen(function*() {
      const { wakeup, woken } = yield* recorder
      yield* TestClock.adjust("10 seconds")
      wakeup.arm(5_000)
      // not inside the step that armed it: the state change that armed it is over first
      assert.deepStrictEqual(woken, [])
      wakeup.arm(5_000)
      yield* Effect.yieldNow
      yield* Effect.yieldNow
      assert.deepStrictEqual(woken, [1])
    }))

  it.effect("a wake that dies leaves the next deadline to its own fiber", () =>
    Effect.gen(function*() {
      const fork = Effect.runForkWith(yield* Effect.context<never>())
      const woken: Array<string> = []
      let first = true
      const wakeup = new Wakeup(
        fork,
        Effect.suspend(() => {
          if (first) {
            first = false
            return Effect.die("broken wake")
          }
          woken.push("next")
          return Effect.void
        })
      )
      wakeup.arm(1_000)
      yield* TestClock.adjust("1 second")
      wakeup.arm(2_000)
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(woken, ["next"])
    }))
})
