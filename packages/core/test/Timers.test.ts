import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, FastCheck as fc, Fiber, Scope, Supervisor, TestClock } from "effect"
import * as Timers from "../src/internal/engine/timers.js"

const recorder = () => {
  const woken: Array<string> = []
  const task = (name: string): Timers.Task => ({ wake: () => woken.push(name) })
  return { woken, task }
}

describe("Timers", () => {
  it.scoped("wake-ups run in due order, ties in the order added; a cancelled one never runs", () =>
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

  it.scoped("one added earlier than the one the fiber sleeps for wakes it in time", () =>
    Effect.gen(function*() {
      const timers = yield* Timers.make
      const { task, woken } = recorder()
      timers.at(3_600_000, task("late"))
      yield* TestClock.adjust("1 second")
      timers.at(2_000, task("early"))
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(woken, ["early"])
    }))

  it.scoped("a wake-up 40 days away, further than a timer holds, comes on its day and not before", () =>
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

  it.scoped("a task that throws is reported, and the others still run", () =>
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
      const timers = yield* Timers.make.pipe(Scope.extend(scope))
      const { task, woken } = recorder()
      timers.at(1_000, task("dropped"))
      yield* Scope.close(scope, Exit.void)
      timers.at(1_000, task("after close"))
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(woken, [])
    }))

  it.effect("ever earlier wake-ups each replace the sleeping fiber: one is left, and every wake-up comes in time", () =>
    Effect.gen(function*() {
      const supervisor = yield* Supervisor.track
      const scope = yield* Scope.make()
      const timers = yield* Timers.make.pipe(Scope.extend(scope), Effect.supervised(supervisor))
      const live = Effect.map(supervisor.value, (fibers) => fibers.filter((fiber) => fiber.unsafePoll() === null).length)
      const { task, woken } = recorder()
      timers.at(1_000_000, task("first"))
      yield* TestClock.adjust("1 millis")
      for (let i = 100; i >= 1; i--) {
        timers.at(1_000 * i, task(`at ${i}`))
        yield* TestClock.adjust("0 millis")
      }
      assert.strictEqual(yield* live, 1)
      yield* TestClock.adjust("100 seconds")
      assert.deepStrictEqual(woken, Array.from({ length: 100 }, (_, i) => `at ${i + 1}`))
      assert.strictEqual(yield* live, 1)
      yield* Scope.close(scope, Exit.void)
      assert.strictEqual(yield* live, 0)
    }))

  // a model: wake-ups added, cancelled and come due as a sorted list would have them, while the clock moves
  // in steps that land before, on and after them; one fiber at the end
  it.effect("added, cancelled and due wake-ups match a sorted list's (seeded)", () =>
    Effect.gen(function*() {
      const op = fc.oneof(
        fc.record({ _tag: fc.constant("at" as const), delay: fc.integer({ min: 0, max: 5_000 }) }),
        fc.record({ _tag: fc.constant("cancel" as const), pick: fc.nat() }),
        fc.record({ _tag: fc.constant("adjust" as const), millis: fc.integer({ min: 0, max: 3_000 }) })
      )
      const runs = fc.sample(fc.array(op, { minLength: 1, maxLength: 40 }), { numRuns: 150, seed: 20261206 })
      for (const ops of runs) {
        const supervisor = yield* Supervisor.track
        const scope = yield* Scope.make()
        const timers = yield* Timers.make.pipe(Scope.extend(scope), Effect.supervised(supervisor))
        const woken: Array<number> = []
        const expected: Array<number> = []
        // the model: pending wake-ups as [due, id], and the clock
        let pending: Array<{ at: number; id: number; wakeup: Timers.Wakeup }> = []
        let now = (yield* TestClock.currentTimeMillis) as number
        let id = 0
        for (const step of ops) {
          if (step._tag === "at") {
            const own = id++
            const at = now + step.delay
            pending.push({ at, id: own, wakeup: timers.at(at, { wake: () => woken.push(own) }) })
            yield* TestClock.adjust("0 millis")
          } else if (step._tag === "cancel") {
            if (pending.length === 0) continue
            const [gone] = pending.splice(step.pick % pending.length, 1)
            gone.wakeup.cancel()
          } else {
            now += step.millis
            yield* TestClock.adjust(`${step.millis} millis`)
          }
          if (step._tag !== "cancel") {
            // what is due once the clock is read: in due order, ties in the order added
            const due = pending.filter((p) => p.at <= now).sort((a, b) => a.at - b.at || a.id - b.id)
            expected.push(...due.map((p) => p.id))
            pending = pending.filter((p) => p.at > now)
          }
          assert.deepStrictEqual(woken, expected, JSON.stringify(ops))
        }
        const fibers = yield* supervisor.value
        assert.strictEqual(fibers.filter((fiber) => fiber.unsafePoll() === null).length, 1, JSON.stringify(ops))
        yield* Scope.close(scope, Exit.void)
      }
    }))

  describe("within", () => {
    it.scoped("a request that never ends fails with onTimeout on time, and its fiber is interrupted", () =>
      Effect.gen(function*() {
        const timers = yield* Timers.make
        const interrupted = yield* Deferred.make<void>()
        let timeouts = 0
        const never = Effect.onInterrupt(Effect.never, () => Deferred.succeed(interrupted, undefined))
        const caller = yield* Effect.fork(Timers.within(timers, never, 1_000, () => `timeout ${++timeouts}`))
        yield* TestClock.adjust("999 millis")
        assert.isNull(caller.unsafePoll())
        yield* TestClock.adjust("1 millis")
        assert.deepStrictEqual(yield* Fiber.await(caller), Exit.fail("timeout 1"))
        yield* Deferred.await(interrupted)
        assert.strictEqual(timeouts, 1)
      }))

    it.scoped("an answer or a failure in time is the caller's, and its deadline is dropped", () =>
      Effect.gen(function*() {
        const timers = yield* Timers.make
        let timeouts = 0
        const onTimeout = () => `timeout ${++timeouts}`
        const answer = yield* Effect.fork(Timers.within(timers, Effect.as(Effect.sleep("500 millis"), "token"), 1_000, onTimeout))
        const refused = yield* Effect.fork(Timers.within(timers, Effect.zipRight(Effect.sleep("500 millis"), Effect.fail("refused")), 1_000, onTimeout))
        const died = yield* Effect.fork(Timers.within(timers, Effect.dieMessage("broken"), 1_000, onTimeout))
        yield* TestClock.adjust("500 millis")
        assert.deepStrictEqual(yield* Fiber.await(answer), Exit.succeed("token"))
        assert.deepStrictEqual(yield* Fiber.await(refused), Exit.fail("refused"))
        const dead = yield* Fiber.await(died)
        assert.isTrue(Exit.isFailure(dead) && Exit.causeOption(dead)._tag === "Some")
        yield* TestClock.adjust("1 hour")
        assert.strictEqual(timeouts, 0)
      }))

    it.scoped("a caller interrupted while it waits interrupts the request and awaits it; no timeout comes after", () =>
      Effect.gen(function*() {
        const timers = yield* Timers.make
        const ended = yield* Deferred.make<void>()
        let timeouts = 0
        const never = Effect.onInterrupt(Effect.never, () => Deferred.succeed(ended, undefined))
        const caller = yield* Effect.fork(Timers.within(timers, never, 1_000, () => `timeout ${++timeouts}`))
        yield* TestClock.adjust("100 millis")
        yield* Fiber.interrupt(caller)
        assert.isTrue(yield* Deferred.isDone(ended))
        yield* TestClock.adjust("1 hour")
        assert.strictEqual(timeouts, 0)
      }))

    // every hand-over (fork, the wait, the answer, the deadline) with the caller interrupted at it: nothing is
    // left but the timers' own fiber, and no deadline comes after
    it.effect("a caller interrupted at every step leaves no fiber and no deadline behind", () =>
      Effect.gen(function*() {
        const requests = {
          "an answer": Effect.as(Effect.sleep("2 millis"), "token"),
          "a failure": Effect.zipRight(Effect.sleep("2 millis"), Effect.fail("refused")),
          "a request that never ends": Effect.never
        }
        for (const [name, request] of Object.entries(requests)) {
          for (let steps = 0; steps <= 6; steps++) {
            const supervisor = yield* Supervisor.track
            const scope = yield* Scope.make()
            const timers = yield* Timers.make.pipe(Scope.extend(scope), Effect.supervised(supervisor))
            let timeouts = 0
            const caller = yield* Effect.fork(Timers.within(timers, request, 3, () => `timeout ${++timeouts}`)).pipe(
              Effect.supervised(supervisor)
            )
            for (let i = 0; i < steps; i++) yield* TestClock.adjust("1 millis")
            yield* Fiber.interrupt(caller)
            const before = timeouts
            yield* TestClock.adjust("1 hour")
            const live = (yield* supervisor.value).filter((fiber) => fiber.unsafePoll() === null).length
            assert.strictEqual(live, 1, `${name}, interrupted after ${steps} ms: ${live} fibers alive`)
            assert.strictEqual(timeouts, before, `${name}, interrupted after ${steps} ms: a timeout came after`)
            yield* Scope.close(scope, Exit.void)
          }
        }
      }))
  })
})
