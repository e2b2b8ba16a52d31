import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Scope } from "effect"
import * as TestClock from "effect/testing/TestClock"
import * as Tenants from "../src/internal/tenants.js"

// the registry's tenants, on their own: what a registry cannot be made to do through its public
// interface (a build that fails or dies) and the bookkeeping of each entry's scope
const setup = (lookup: (key: string) => Effect.Effect<string, string, Scope.Scope>, idle: Duration.Input = "1 minute") =>
  Tenants.make({ lookup: (key: string, scope: Scope.Scope) => lookup(key).pipe(Scope.provide(scope)), idleTimeToLive: Duration.fromInputUnsafe(idle) })

describe("Tenants", () => {
  it.effect("a build that fails or dies reaches every waiter, and the next caller builds afresh", () =>
    Effect.gen(function*() {
      let builds = 0
      // the first build takes a second: the callers that come meanwhile wait for it
      const outcomes: Array<Effect.Effect<string, string>> = [
        Effect.andThen(Effect.sleep("1 second"), Effect.fail("refused")),
        Effect.die("broken"),
        Effect.succeed("ok")
      ]
      const pool = yield* setup((key) =>
        Effect.suspend(() => Effect.map(outcomes[builds++], (value) => `${key}:${value}`))
      )
      const callers = yield* Effect.forkChild(Effect.all(Array.from({ length: 5 }, () => Effect.exit(Effect.scoped(pool.get("a1")))), {
        concurrency: "unbounded"
      }))
      yield* TestClock.adjust("1 second")
      const failed = yield* Fiber.join(callers)
      assert.strictEqual(builds, 1)
      failed.forEach((exit) => assert.deepStrictEqual(exit, Exit.fail("refused")))
      assert.strictEqual(yield* pool.size, 0)
      const died = yield* Effect.exit(Effect.scoped(pool.get("a1")))
      assert.isTrue(Exit.isFailure(died) && Cause.hasDies(died.cause))
      assert.strictEqual(yield* pool.size, 0)
      assert.strictEqual(yield* Effect.scoped(pool.get("a1")), "a1:ok")
      assert.strictEqual(builds, 3)
      assert.strictEqual(yield* pool.size, 1)
    }))

  it.effect("keys are told apart; each entry's scope closes when it has been idle for its time", () =>
    Effect.gen(function*() {
      const closed: Array<string> = []
      const pool = yield* setup((key) =>
        Effect.as(Effect.addFinalizer(() => Effect.sync(() => closed.push(key))), key)
      )
      const scope = yield* Scope.make()
      assert.strictEqual(yield* pool.get("a1").pipe(Scope.provide(scope)), "a1")
      assert.strictEqual(yield* Effect.scoped(pool.get("a2")), "a2")
      assert.strictEqual(yield* pool.size, 2)
      yield* TestClock.adjust("2 minutes")
      // a2 was idle for its minute; a1 is still held
      assert.deepStrictEqual(closed, ["a2"])
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("59 seconds")
      assert.deepStrictEqual(closed, ["a2"])
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(closed, ["a2", "a1"])
      assert.strictEqual(yield* pool.size, 0)
    }))

  it.effect("closing the pool closes every entry, and a caller after it is interrupted", () =>
    Effect.gen(function*() {
      const closed: Array<string> = []
      const poolScope = yield* Scope.make()
      const pool = yield* setup((key) => Effect.as(Effect.addFinalizer(() => Effect.sync(() => closed.push(key))), key)).pipe(
        Scope.provide(poolScope)
      )
      const held = yield* Scope.make()
      yield* pool.get("a1").pipe(Scope.provide(held))
      yield* Effect.scoped(pool.get("b1"))
      yield* Scope.close(poolScope, Exit.void)
      assert.sameMembers(closed, ["a1", "b1"])
      // the share still held is given back with nothing left to release
      yield* Scope.close(held, Exit.void)
      assert.strictEqual(closed.length, 2)
      const late = yield* Effect.forkChild(Effect.scoped(pool.get("a1")))
      assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(late)))
    }))
})
