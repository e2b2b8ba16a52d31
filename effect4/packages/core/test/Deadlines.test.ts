// The registry's deadlines (`engine/deadlines.ts`): a heap of deadlines with one sleeping fiber, checked
// against a model under random sequences of arming, re-arming, cancelling and clock steps (fast-check,
// seeded): each armed deadline runs once, at its time, in order of time and then of arming; a cancelled or
// replaced one never runs; none is lost however the clock moves.
import { assert, describe, it } from "@effect/vitest"
import { Effect, References } from "effect"
import * as TestClock from "effect/testing/TestClock"
import * as fc from "fast-check"
import { Deadlines } from "../src/internal/engine/deadlines.js"

const turns = (n: number) => Effect.replicateEffect(Effect.yieldNow, n, { discard: true })

type Command =
  | { readonly _tag: "Arm"; readonly id: number; readonly after: number }
  | { readonly _tag: "Cancel"; readonly id: number }
  | { readonly _tag: "Advance"; readonly millis: number }

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    _tag: fc.constant("Arm" as const),
    id: fc.integer({ min: 0, max: 11 }),
    // a few times often: ties are common
    after: fc.oneof(fc.constantFrom(0, 1, 5, 10), fc.integer({ min: 0, max: 200 }))
  }),
  fc.record({ _tag: fc.constant("Cancel" as const), id: fc.integer({ min: 0, max: 11 }) }),
  fc.record({ _tag: fc.constant("Advance" as const), millis: fc.oneof(fc.constantFrom(0, 1, 10), fc.integer({ min: 0, max: 150 })) })
)

interface Fired {
  readonly id: number
  readonly at: number
  readonly seq: number
  readonly now: number
}

const now = Effect.map(Effect.clockWith((clock) => Effect.succeed(clock.monotonicTimeNanosUnsafe())), (n) => Number(n) / 1e6)

describe("deadlines: one heap, one sleeping fiber", () => {
  it.effect("against a model: order, cancellation, no lost wake-up (300 random runs)", () =>
    Effect.gen(function*() {
      const runs = fc.sample(fc.array(command, { minLength: 1, maxLength: 60 }), { numRuns: 300, seed: 24 })
      const fork = Effect.runForkWith(yield* Effect.context<never>())
      for (const commands of runs) {
        const deadlines = new Deadlines(fork)
        const fired: Array<Fired> = []
        // the model: what each id is armed at, and in which order it was armed
        const armed = new Map<number, { at: number; seq: number }>()
        let seq = 0
        const handles = Array.from({ length: 12 }, (_, id) =>
          deadlines.make(Effect.flatMap(now, (t) =>
            Effect.sync(() => {
              const expected = armed.get(id)
              assert.isDefined(expected, `deadline ${id} ran, but it was not armed`)
              armed.delete(id)
              fired.push({ id, at: expected!.at, seq: expected!.seq, now: t })
            }))))
        for (const c of commands) {
          const t = yield* now
          if (c._tag === "Arm") {
            handles[c.id].arm(t + c.after)
            // arming at the time already set changes nothing, not even its place among ties
            const previous = armed.get(c.id)
            if (previous === undefined || previous.at !== t + c.after) armed.set(c.id, { at: t + c.after, seq: seq++ })
          } else if (c._tag === "Cancel") {
            handles[c.id].arm(undefined)
            armed.delete(c.id)
          } else {
            const before = fired.length
            yield* TestClock.adjust(c.millis)
            yield* turns(3)
            const end = yield* now
            for (const f of fired.slice(before)) {
              assert.strictEqual(f.now, f.at, "ran at its time, not later")
            }
            for (const [id, { at }] of armed) assert.isAbove(at, end, `deadline ${id} at ${at} was lost at ${end}`)
          }
          assert.strictEqual(deadlines.size, armed.size)
          assert.strictEqual(deadlines.sleeping || armed.size === 0, true, "armed deadlines with nobody asleep for them")
        }
        // in order of time, and of arming among the same time
        for (let i = 1; i < fired.length; i++) {
          const [a, b] = [fired[i - 1], fired[i]]
          assert.isTrue(a.at < b.at || (a.at === b.at && a.seq < b.seq), `${JSON.stringify(a)} before ${JSON.stringify(b)}`)
        }
        // what is still armed runs once its time comes, then nothing is left
        yield* TestClock.adjust(1_000)
        yield* turns(3)
        assert.strictEqual(armed.size, 0)
        assert.strictEqual(deadlines.size, 0)
        yield* turns(3)
        assert.isFalse(deadlines.sleeping)
      }
    }))

  it.effect("closed: every deadline dropped, the sleeper interrupted, a deadline armed later never runs", () =>
    Effect.gen(function*() {
      const deadlines = new Deadlines(Effect.runForkWith(yield* Effect.context<never>()))
      const ran: Array<number> = []
      const a = deadlines.make(Effect.sync(() => ran.push(1)))
      const b = deadlines.make(Effect.sync(() => ran.push(2)))
      a.arm(1_000)
      yield* turns(2)
      assert.isTrue(deadlines.sleeping)
      deadlines.close()
      b.arm(500)
      assert.isFalse(deadlines.sleeping)
      assert.strictEqual(deadlines.size, 0)
      yield* TestClock.adjust("1 hour")
      assert.deepStrictEqual(ran, [])
    }))

  it.effect("a deadline that fails or dies stops none of the others", () =>
    Effect.gen(function*() {
      const deadlines = new Deadlines(Effect.runForkWith(yield* Effect.context<never>()))
      const ran: Array<string> = []
      deadlines.make(Effect.die("broken")).arm(10)
      deadlines.make(Effect.sync(() => ran.push("same time"))).arm(10)
      deadlines.make(Effect.sync(() => ran.push("later"))).arm(20)
      yield* TestClock.adjust(30)
      yield* turns(3)
      assert.deepStrictEqual(ran, ["same time", "later"])
      assert.isFalse(deadlines.sleeping)
    }).pipe(Effect.provideService(References.MinimumLogLevel, "None")))
})
