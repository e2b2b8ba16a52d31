// The engine's stand-ins for Effect primitives (the flight permits for `Semaphore`, the tenant pool for
// `RcMap`, the timers for a sleeping fiber each) under seeded random interleavings: waiters interrupted at
// the hand-over, releases, idle wake-ups racing callers, closing. At the end, what is left is counted.
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Random, Scope } from "effect"
import * as TestClock from "effect/testing/TestClock"
import * as FlightPermits from "../src/internal/engine/flightPermits.js"
import * as Timers from "../src/internal/engine/timers.js"
import * as TenantPool from "../src/internal/tenantPool.js"
import { interruptFork } from "./utils/fibers.js"

/** Lets every runnable fiber take `n` turns. */
const turns = (n: number) => Effect.repeatN(Effect.yieldNow, n)

describe("flight permits", () => {
  it.effect("a waiter interrupted as the permit is handed to it gives the permit back", () =>
    Effect.gen(function*() {
      const permits = yield* FlightPermits.make(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(permits.withPermit(Deferred.await(gate)))
      yield* turns(5)
      const waiter = yield* Effect.forkChild(permits.withPermit(Effect.never))
      yield* turns(5)
      assert.deepStrictEqual(permits.unsafeCounts(), { free: 0, waiting: 1 })
      // the holder ends: its permit goes to the waiter, which is interrupted before it can run
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      assert.deepStrictEqual(permits.unsafeCounts(), { free: 0, waiting: 0 })
      yield* Fiber.interrupt(waiter)
      assert.deepStrictEqual(permits.unsafeCounts(), { free: 1, waiting: 0 })
    }))

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it.effect(`seed ${seed}: 300 flights on 4 permits, interrupted anywhere: no permit lost, never more than 4 held`, () =>
      Effect.gen(function*() {
        const count = 4
        const permits = yield* FlightPermits.make(count)
        let holding = 0
        let most = 0
        const gates: Array<Deferred.Deferred<void>> = []
        const fibers: Array<Fiber.Fiber<void>> = []
        const hold = (gate: Deferred.Deferred<void>) =>
          permits.withPermit(Effect.acquireUseRelease(
            Effect.sync(() => {
              holding++
              most = Math.max(most, holding)
            }),
            () => Deferred.await(gate),
            () => Effect.sync(() => holding--)
          ))
        for (let i = 0; i < 300; i++) {
          const gate = yield* Deferred.make<void>()
          gates.push(gate)
          fibers.push(yield* Effect.forkChild(hold(gate)))
          // some flights end, some are interrupted (waiting, holding, or at the hand-over), at random moments
          const action = yield* Random.nextIntBetween(0, 4)
          const target = yield* Random.nextIntBetween(0, fibers.length)
          if (action === 0) yield* Deferred.succeed(gates[target], undefined)
          if (action === 1) yield* interruptFork(fibers[target])
          if (action === 2) {
            // a release and an interruption in the same step
            yield* Deferred.succeed(gates[target], undefined)
            yield* interruptFork(fibers[(target + 1) % fibers.length])
          }
          yield* turns(yield* Random.nextIntBetween(0, 3))
        }
        for (const fiber of fibers) yield* Fiber.interrupt(fiber)
        assert.isAtMost(most, count)
        assert.strictEqual(holding, 0)
        assert.deepStrictEqual(permits.unsafeCounts(), { free: count, waiting: 0 })
        // and all of them can be held at once again
        const again = yield* Effect.forkChild(Effect.all(Array.from({ length: count }, () => permits.withPermit(Effect.void)), { concurrency: "unbounded" }))
        yield* Fiber.join(again)
      }).pipe(Random.withSeed(seed)))
  }

  it.effect("shut down: the waiting flights are interrupted, and no permit is handed out again", () =>
    Effect.gen(function*() {
      const permits = yield* FlightPermits.make(1)
      const holder = yield* Effect.forkChild(permits.withPermit(Effect.never))
      yield* turns(3)
      const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(permits.withPermit(Effect.void)))
      yield* turns(3)
      yield* permits.shutdown
      for (const waiter of waiters) assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(waiter)))
      yield* Fiber.interrupt(holder)
      assert.isTrue(Exit.hasInterrupts(yield* Effect.exit(permits.withPermit(Effect.void))))
    }))
})

/** Timers whose wake-ups and forks the test runs by hand, one at a time. */
const manualTimers = () => {
  const due: Array<Timers.Task> = []
  const forked: Array<Effect.Effect<unknown, unknown>> = []
  const timers: Timers.Timers = {
    at: (_at, task) => {
      due.push(task)
      return {
        cancel: () => {
          const i = due.indexOf(task)
          if (i >= 0) due.splice(i, 1)
        }
      }
    },
    fork: (effect) => {
      forked.push(effect)
      return undefined as never
    }
  }
  return { timers, due, forked }
}

interface Tenant {
  readonly id: number
  closed: boolean
}

describe("tenant pool", () => {
  it.effect("a tenant taken between its idle wake-up and its removal is kept, open", () =>
    Effect.gen(function*() {
      const { due, forked, timers } = manualTimers()
      let built = 0
      const pool = yield* TenantPool.make<string, Tenant, never>({
        lookup: () =>
          Effect.acquireRelease(Effect.sync((): Tenant => ({ id: ++built, closed: false })), (tenant) =>
            Effect.sync(() => {
              tenant.closed = true
            })),
        idOf: (key) => key,
        equals: (a, b) => a === b,
        idleTimeToLive: Duration.minutes(1),
        timers
      })
      yield* Effect.scoped(pool.get("a"))
      assert.strictEqual(due.length, 1)
      // the idle time is over: the wake-up runs and forks the removal, which has not run yet
      due.shift()!.wake()
      assert.strictEqual(forked.length, 1)
      // a caller takes the tenant in between
      const scope = yield* Scope.make()
      const tenant = yield* pool.get("a").pipe(Scope.provide(scope))
      yield* forked.shift()!
      assert.isFalse(tenant.closed)
      assert.strictEqual(yield* pool.size, 1)
      assert.strictEqual(built, 1)
      // given back, it waits out a new idle time, and then goes
      yield* Scope.close(scope, Exit.void)
      due.shift()!.wake()
      yield* forked.shift()!
      assert.isTrue(tenant.closed)
      assert.strictEqual(yield* pool.size, 0)
    }))

  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it.effect(`seed ${seed}: callers, releases, idle wake-ups and removals in any order: no tenant closed while held`, () =>
      Effect.gen(function*() {
        const { due, forked, timers } = manualTimers()
        const all: Array<Tenant> = []
        const poolScope = yield* Scope.make()
        const pool = yield* TenantPool.make<string, Tenant, never>({
          lookup: () =>
            Effect.acquireRelease(
              Effect.sync((): Tenant => {
                const tenant = { id: all.length, closed: false }
                all.push(tenant)
                return tenant
              }),
              (tenant) =>
                Effect.sync(() => {
                  tenant.closed = true
                })
            ),
          idOf: (key) => key.slice(0, 1),
          equals: (a, b) => a === b,
          idleTimeToLive: Duration.minutes(1),
          timers
        }).pipe(Scope.provide(poolScope))
        const held: Array<{ readonly scope: Scope.Closeable; readonly tenant: Tenant }> = []
        for (let i = 0; i < 400; i++) {
          const action = yield* Random.nextIntBetween(0, 4)
          if (action === 0) {
            const key = ["a1", "a2", "b1"][yield* Random.nextIntBetween(0, 3)]
            const scope = yield* Scope.make()
            held.push({ scope, tenant: yield* pool.get(key).pipe(Scope.provide(scope)) })
          } else if (action === 1 && held.length > 0) {
            const [share] = held.splice(yield* Random.nextIntBetween(0, held.length), 1)
            yield* Scope.close(share.scope, Exit.void)
          } else if (action === 2 && due.length > 0) {
            due.splice(yield* Random.nextIntBetween(0, due.length), 1)[0].wake()
          } else if (action === 3 && forked.length > 0) {
            yield* forked.splice(yield* Random.nextIntBetween(0, forked.length), 1)[0]
          }
          for (const share of held) assert.isFalse(share.tenant.closed, "a tenant in use was closed")
        }
        // what is held is open and counted once per key; after closing, nothing is left open
        const live = new Set(held.map((share) => share.tenant))
        assert.isAtMost(live.size, 3)
        assert.isAtLeast(yield* pool.size, live.size)
        yield* Scope.close(poolScope, Exit.void)
        for (const share of held) yield* Scope.close(share.scope, Exit.void)
        for (const effect of forked) yield* effect
        assert.isTrue(all.every((tenant) => tenant.closed))
      }).pipe(Random.withSeed(seed)))
  }
})

describe("timers", () => {
  for (const seed of [21, 22, 23, 24]) {
    it.effect(`seed ${seed}: wake-ups added, cancelled and due at random run in due order, each once, none left`, () =>
      Effect.gen(function*() {
        const timers = yield* Timers.make
        const woken: Array<number> = []
        const expected: Array<{ readonly at: number; readonly id: number }> = []
        const live = new Map<number, Timers.Wakeup>()
        let now = 0
        for (let id = 0; id < 300; id++) {
          const at = now + (yield* Random.nextIntBetween(0, 5_000))
          live.set(id, timers.at(at, { wake: () => woken.push(id) }))
          expected.push({ at, id })
          if ((yield* Random.nextIntBetween(0, 4)) === 0) {
            const victim = yield* Random.nextIntBetween(0, id + 1)
            const wakeup = live.get(victim)
            if (wakeup !== undefined && !woken.includes(victim)) {
              wakeup.cancel()
              live.delete(victim)
              expected.splice(expected.findIndex((e) => e.id === victim), 1)
            }
          }
          if ((yield* Random.nextIntBetween(0, 3)) === 0) {
            const step = yield* Random.nextIntBetween(0, 2_000)
            now += step
            yield* TestClock.adjust(step)
          }
        }
        yield* TestClock.adjust(10_000)
        const order = [...expected].sort((a, b) => a.at - b.at || a.id - b.id).map((e) => e.id)
        assert.deepStrictEqual([...woken].sort((a, b) => a - b), [...order].sort((a, b) => a - b), "each once")
        // within each adjustment the order is by due time, ties by the order added
        const position = new Map(order.map((id, i) => [id, i]))
        const byAt = new Map(expected.map((e) => [e.id, e.at]))
        for (let i = 1; i < woken.length; i++) {
          const a = woken[i - 1]
          const b = woken[i]
          if (byAt.get(a)! > byAt.get(b)!) assert.fail(`${a} (due ${byAt.get(a)}) ran before ${b} (due ${byAt.get(b)})`)
          if (byAt.get(a) === byAt.get(b)) assert.isBelow(position.get(a)!, position.get(b)!)
        }
      }).pipe(Random.withSeed(seed)))
  }
})
