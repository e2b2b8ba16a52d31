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
import type * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import { maxTimerMillis } from "../longSleep.js"

/**
 * The clock's monotonic time in milliseconds (`Clock.monotonicTimeNanos`: what a wall clock stepped
 * backwards or forwards does not move; `TestClock` drives it in tests). Every deadline of the engine and
 * the timers is on it. (Effect 4's `currentTimeNanos` is a wall clock, as `currentTimeMillis` is.)
 *
 * @internal
 */
export const monotonicMillis = (clock: Clock.Clock): number => Number(clock.monotonicTimeNanosUnsafe()) / 1_000_000

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
  readonly fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>
}

/** The timers a registry's engines share. @internal */
export class SharedTimers extends Context.Service<SharedTimers, Timers>()("@effect-hosecloud/core/internal/SharedTimers") {}

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

/** Timers whose fiber runs in the scope; closing it drops every wake-up. @internal */
export const make: Effect.Effect<Timers, never, Scope.Scope> = Effect.gen(function*() {
  const runFork = Effect.runForkWith(yield* Effect.context<never>())
  const heap = new Heap()
  let seq = 0
  let closed = false
  // completed to wake the fiber when a wake-up earlier than the one it sleeps for is added
  let woken: Deferred.Deferred<void> | undefined

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
      Effect.annotateLogs({ cause: Cause.pretty(defects.map(Cause.die).reduce((a, b) => Cause.combine(a, b))) })
    )
  }

  const step: Effect.Effect<void> = Effect.clockWith((clock) =>
    Effect.suspend(() => {
      const reported = runDue(monotonicMillis(clock))
      const signal = Deferred.makeUnsafe<void>()
      woken = signal
      const first = heap.first
      if (first === undefined) return Effect.andThen(reported, Deferred.await(signal))
      const wait = Math.min(maxTimerMillis, Math.ceil(first.at - monotonicMillis(clock)))
      if (wait <= 0) return reported
      return Effect.andThen(reported, Effect.raceFirst(clock.sleep(Duration.millis(wait)), Deferred.await(signal)))
    })
  )
  yield* Effect.forkScoped(Effect.forever(step))
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      for (const entry of heap.items) {
        entry.task = undefined
        entry.index = -1
      }
      heap.items.length = 0
    })
  )

  const at = (at: number, task: Task): Wakeup => {
    const entry = new Entry(heap, at, seq++, task)
    if (closed || Number.isNaN(at)) return entry
    heap.push(entry)
    // the fiber sleeps for a later one (or none): it looks again
    if (heap.first === entry && woken !== undefined) Deferred.doneUnsafe(woken, Effect.void)
    return entry
  }
  return { at, fork: runFork }
})
