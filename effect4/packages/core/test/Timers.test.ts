import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as TestClock from "effect/testing/TestClock"
import * as Timers from "../src/internal/engine/timers.js"

const recorder = () => {
  const woken: Array<string> = []
  const task = (name: string): Timers.Task => ({ wake: () => woken.push(name) })
  return { woken, task }
}

describe("Timers", () => {
  it.effect("wake-ups run in due order, ties in the order added; a cancelled one never runs", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const { task, woken } = recorder()
      timers.at(3_000, task("c"))
      timers.at(1_000, task("a"))
      const dropped = timers.at(2_000, task("dropped"))
      timers.at(1_000, task("a2"))
      timers.at(2_000, task("b"))
      dropped.cancel()
      yield* TestClock.adjust("999 millis")
      assert.deepStrictEqual(woken, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(woken, ["a", "a2"])
      yield* TestClock.adjust("2 seconds")
      assert.deepStrictEqual(woken, ["a", "a2", "b", "c"])
    }))

  it.effect("one added earlier than the one the fiber sleeps for wakes it in time", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const { task, woken } = recorder()
      timers.at(3_600_000, task("late"))
      yield* TestClock.adjust("1 second")
      timers.at(2_000, task("early"))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(woken, ["early"])
    }))

  it.effect("a wake-up 40 days away, further than a timer holds, comes on its day and not before", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const { task, woken } = recorder()
      const day = 86_400_000
      timers.at(40 * day, task("due"))
      yield* TestClock.adjust(`${40 * day - 1} millis`)
      assert.deepStrictEqual(woken, [])
      yield* TestClock.adjust("1 millis")
      assert.deepStrictEqual(woken, ["due"])
    }))

  it.effect("a task that throws is reported, and the others still run", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const { task, woken } = recorder()
      timers.at(1_000, { wake: () => { throw new Error("broken task") } })
      timers.at(1_000, task("after"))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(woken, ["after"])
      // the fiber is still there for the next one
      timers.at(2_000, task("next"))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(woken, ["after", "next"])
    }))

  it.effect("closing the scope drops every wake-up; none is taken after", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const timers = yield* Timers.make.pipe(Scope.provide(scope))
      const { task, woken } = recorder()
      timers.at(1_000, task("dropped"))
      yield* Scope.close(scope, Exit.void)
      timers.at(1_000, task("after close"))
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(woken, [])
    }))
})
