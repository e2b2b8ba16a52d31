/**
 * Stands in for a fiber in `Effect.sleep` per waiting tenant (4.74 KiB each on effect 3.22.4; the registry's
 * heap per active tenant went from 32 to 6.7 KiB with this, `pnpm bench`).
 *
 * Wake-ups: callbacks due at a time on the monotonic clock, kept in due order (a binary heap) and run by one fiber
 * that sleeps until the earliest. A token waiting for its refresh or its expiry, and a registry's tenant
 * waiting out its idle time, is an entry here instead of a sleeping fiber: a `TenantRegistry` shares one
 * `Timers` among all its tenants, a `HosecloudAuth` on its own makes its own.
 *
 * The fiber sleeps on the clock in context (a `TestClock` drives it in tests), at most as long as a timer
 * can hold at a time: a wake-up 30 days away is reached in pieces. A task runs in that fiber, so it does
 * no more than note something or fork a fiber (`fork`); one that throws is reported, and the others still
 * run.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { maxTimerMillis } from "../longSleep.js"

/**
 * The clock's monotonic time in milliseconds (`Clock.currentTimeNanos`: what a wall clock stepped
 * backwards or forwards does not move; `TestClock` drives it in tests). Every deadline of the engine and
 * the timers is on it.
 *
 * @internal
 */
export const monotonicMillis = (clock: Clock.Clock): number => Number(clock.unsafeCurrentTimeNanos()) / 1_000_000

/** A callback waiting for its time. @internal */
export interface Wakeup {
  /** Takes the callback out; nothing if it has run or was cancelled. */
  readonly cancel: () => void
}

/**
 * What a wake-up runs: an object with a `wake` method, so that the holder of a wake-up (a refresher's
 * slot, a registry's tenant) can be its own task instead of making a closure per wake-up.
 *
 * @internal
 */
export interface Task {
  readonly wake: () => void
}

/** @internal */
export interface Timers {
  /**
   * Runs `task` once the monotonic clock reaches `at` (`monotonicMillis`); at once if it has. Nothing after
   * the scope closed.
   */
  readonly at: (at: number, task: Task) => Wakeup
  /** Forks `effect` on the runtime the timers were made in: not as a child of whoever calls. */
  readonly fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.RuntimeFiber<A, E>
}

/** The timers a registry's engines share. @internal */
export class SharedTimers extends Context.Tag("@effect-hosecloud/core/internal/SharedTimers")<SharedTimers, Timers>() {}

class Entry implements Wakeup {
  /** Its place in the heap, -1 once out of it. */
  index = -1
  constructor(
    private readonly heap: Heap,
    readonly at: number,
    /** Ties are run in the order they were added. */
    readonly seq: number,
    public task: Task | undefined
  ) {}
  cancel() {
    this.task = undefined
    this.heap.remove(this)
  }
}

const before = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/** A binary min-heap of entries that know their place, so that a cancelled one leaves at once. */
class Heap {
  readonly items: Array<Entry> = []

  get first(): Entry | undefined {
    return this.items[0]
  }

  push(entry: Entry) {
    entry.index = this.items.length
    this.items.push(entry)
    this.up(entry.index)
  }

  remove(entry: Entry) {
    const i = entry.index
    if (i < 0) return
    entry.index = -1
    const last = this.items.pop()!
    if (i === this.items.length) return
    this.items[i] = last
    last.index = i
    this.up(i)
    this.down(last.index)
  }

  private swap(i: number, j: number) {
    const a = this.items[i]
    const b = this.items[j]
    this.items[i] = b
    this.items[j] = a
    a.index = j
    b.index = i
  }

  private up(i: number) {
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(this.items[i], this.items[parent])) return
      this.swap(i, parent)
      i = parent
    }
  }

  private down(i: number) {
    const n = this.items.length
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < n && before(this.items[left], this.items[least])) least = left
      if (right < n && before(this.items[right], this.items[least])) least = right
      if (least === i) return
      this.swap(i, least)
      i = least
    }
  }
}

/**
 * Timers whose fiber runs in the scope; closing it drops every wake-up.
 *
 * The fiber either waits for a first wake-up (on a `Deferred` that `at` completes) or sleeps on the clock
 * until the earliest one: a plain sleep, not a race of the sleep against a signal (`Effect.raceFirst` forks
 * two fibers per sleep: 60 µs of CPU each time on effect 3.22.4, and a cold flight arms the timers once; a
 * cold flight in memory went from 3.7x to 2.8x one bare token request with this, `pnpm bench`). A wake-up
 * earlier than the one the fiber sleeps for, which is rare (a token's deadlines come later than the ones
 * before it), interrupts that fiber and forks another. A wake-up that is cancelled leaves the fiber asleep:
 * it wakes on time, finds nothing due and sleeps again.
 *
 * @internal
 */
export const make: Effect.Effect<Timers, never, Scope.Scope> = Effect.gen(function*() {
  const runFork = Runtime.runFork(yield* Effect.runtime<never>())
  const heap = new Heap()
  let seq = 0
  let closed = false
  // the fiber that runs the wake-ups, and its generation: a fiber of an earlier generation stops at its next
  // step without touching the fields below
  let fiber: Fiber.RuntimeFiber<never> | undefined
  let generation = 0
  // what the fiber is doing: waiting for a first wake-up (completed to wake it) ...
  let idle: Deferred.Deferred<void> | undefined
  // ... or asleep until then (on the monotonic clock; Infinity while it runs)
  let sleepsUntil = Infinity

  const runDue = (now: number) => {
    const defects: Array<unknown> = []
    for (let first = heap.first; first !== undefined && first.at <= now; first = heap.first) {
      heap.remove(first)
      const task = first.task
      first.task = undefined
      try {
        task?.wake()
      } catch (defect) {
        defects.push(defect)
      }
    }
    return defects.length === 0 ? Effect.void : Effect.logError("Hosecloud timer callback failed").pipe(
      Effect.annotateLogs({ cause: Cause.pretty(defects.map(Cause.die).reduce(Cause.parallel)) })
    )
  }

  const step = (own: number): Effect.Effect<void> =>
    Effect.clockWith((clock) =>
      Effect.suspend(() => {
        if (own !== generation) return Effect.interrupt
        idle = undefined
        sleepsUntil = Infinity
        const reported = runDue(monotonicMillis(clock))
        const first = heap.first
        if (first === undefined) {
          const signal = Deferred.unsafeMake<void>(FiberId.none)
          idle = signal
          return Effect.zipRight(reported, Deferred.await(signal))
        }
        const now = monotonicMillis(clock)
        const wait = Math.min(maxTimerMillis, Math.ceil(first.at - now))
        if (wait <= 0) return reported
        sleepsUntil = now + wait
        return Effect.zipRight(reported, clock.sleep(Duration.millis(wait)))
      })
    )

  const start = () => {
    const own = ++generation
    idle = undefined
    sleepsUntil = Infinity
    const previous = fiber
    fiber = runFork(Effect.forever(step(own)))
    previous?.unsafeInterruptAsFork(FiberId.none)
  }
  start()
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      closed = true
      generation++
      for (const entry of heap.items) {
        entry.task = undefined
        entry.index = -1
      }
      heap.items.length = 0
      const last = fiber
      fiber = undefined
      return last === undefined ? Effect.void : Fiber.interrupt(last)
    })
  )

  const at = (at: number, task: Task): Wakeup => {
    const entry = new Entry(heap, at, seq++, task)
    if (closed || Number.isNaN(at)) return entry
    heap.push(entry)
    if (heap.first !== entry) return entry
    if (idle !== undefined) {
      // the fiber waits for a first wake-up: this is it
      const signal = idle
      idle = undefined
      Deferred.unsafeDone(signal, Effect.void)
    } else if (at < sleepsUntil && sleepsUntil !== Infinity) {
      // the fiber sleeps past this one: another takes its place
      start()
    }
    return entry
  }
  return { at, fork: runFork }
})

/**
 * `effect` within `millis` on the timers: it runs in a fiber of its own, which is interrupted once the time is
 * up, when the caller gets `onTimeout()` (at once: the interruption is not awaited, as `Effect.timeoutFail`
 * does not await it either). A caller interrupted while it waits interrupts that fiber and awaits it.
 *
 * Stands in for `Effect.timeoutFail`, which forks two fibers (the effect and a sleep) and keeps a JavaScript
 * timer per call: one fork and an entry on the timers here (a cold flight in memory went from 2.9x to 2.4x
 * one bare token request, `pnpm bench`). The deadline is the timers' next wake-up only when nothing earlier is
 * due; a flight's callers' deadline, set a moment before its first request's, is.
 *
 * @internal
 */
export const within = <A, E>(
  timers: Timers,
  effect: Effect.Effect<A, E>,
  millis: number,
  onTimeout: () => E
): Effect.Effect<A, E> =>
  !Number.isFinite(millis) ? effect : Effect.clockWith((clock) =>
    Effect.uninterruptibleMask((restore) =>
      // its exit is the fiber's value: a failure is the caller's to report, not the fiber's ("unhandled error")
      Effect.flatMap(Effect.fork(Effect.exit(Effect.interruptible(effect))), (fiber) =>
        restore(Effect.async<A, E>((resume) => {
          let settled = false
          const deadline = timers.at(monotonicMillis(clock) + millis, {
            wake: () => {
              if (settled) return
              settled = true
              fiber.unsafeInterruptAsFork(FiberId.none)
              resume(Effect.fail(onTimeout()))
            }
          })
          fiber.addObserver((exit) => {
            if (settled) return
            settled = true
            deadline.cancel()
            resume(Exit.isSuccess(exit) ? exit.value : Exit.failCause(exit.cause))
          })
          return Effect.suspend(() => {
            settled = true
            deadline.cancel()
            return Fiber.interrupt(fiber)
          })
        })))
    )
  )
