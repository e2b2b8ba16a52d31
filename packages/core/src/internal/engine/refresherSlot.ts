/**
 * The place of an engine's refresher. At any time it holds at most one of: a fiber at work (stepping the
 * schedule, refreshing), or a wake-up (`timers.ts`) that starts the next piece of work when it is due; a
 * refresher waiting for its time holds no fiber. A new token's refresher replaces whatever is there, and
 * the engine's scope closing stops it.
 *
 * Fibers are forked on the timers' runtime, not from whoever asked (so that fibers never descend from one
 * another cycle after cycle, nor carry a caller's span): the engine's own, or, for the tenants of a
 * `TenantRegistry`, the registry's, which they share.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Timers from "./timers.js"

/** One piece of a refresher's work, given its turn in the slot. @internal */
export type Work = (turn: Turn) => Effect.Effect<void>

/** A piece of work's hold on the slot, lost when another starts. @internal */
export interface Turn {
  /**
   * The last step of a piece of work: `next` is to start at `at` (clock milliseconds), holding no fiber
   * meanwhile. Does nothing once the turn is lost (a new token's refresher started, or the slot stopped).
   */
  readonly later: (at: number, next: Work) => Effect.Effect<void>
}

/** @internal */
export class RefresherSlot {
  private current: Turn | undefined = undefined
  private fiber: Fiber.RuntimeFiber<void> | undefined = undefined
  private wakeup: Timers.Wakeup | undefined = undefined
  private closed = false

  constructor(private readonly timers: Timers.Timers) {}

  /** Forks `work`, in place of what the slot holds; does nothing once the scope has closed. */
  start(work: Work): void {
    if (this.closed) return
    this.drop()
    this.fiber?.unsafeInterruptAsFork(FiberId.none)
    const turn = new SlotTurn(this)
    this.current = turn
    this.run(Effect.suspend(() => work(turn)))
  }

  /** Drops the wake-up or interrupts the fiber, and waits for it to stop. */
  get stop(): Effect.Effect<void> {
    return Effect.suspend(() => this.take())
  }

  /** Nothing starts any more; what runs is stopped. */
  close(): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.closed = true
      return this.take()
    })
  }

  /** @internal */
  wakeAt(turn: Turn, at: number, next: Work): void {
    if (this.current !== turn) return
    this.drop()
    const set: Timers.Wakeup = this.timers.at(at, () => {
      if (this.wakeup !== set) return
      this.wakeup = undefined
      this.start(next)
    })
    this.wakeup = set
  }

  private drop() {
    this.wakeup?.cancel()
    this.wakeup = undefined
  }

  private take(): Effect.Effect<void> {
    this.current = undefined
    this.drop()
    const running = this.fiber
    this.fiber = undefined
    return running === undefined ? Effect.void : Fiber.interrupt(running)
  }

  // apart from `start`, so that the observer's closure holds the fiber and nothing else
  private run(effect: Effect.Effect<void>) {
    const forked = this.timers.fork(effect)
    this.fiber = forked
    // a fiber that has ended leaves its place (at once if it ended before `fork` returned)
    forked.addObserver(() => {
      if (this.fiber === forked) this.fiber = undefined
    })
  }
}

class SlotTurn implements Turn {
  constructor(private readonly slot: RefresherSlot) {}
  later(at: number, next: Work): Effect.Effect<void> {
    return Effect.sync(() => this.slot.wakeAt(this, at, next))
  }
}

/** The engine's slot, on the shared timers if a registry provides them, else on its own. @internal */
export const make: Effect.Effect<RefresherSlot, never, Scope.Scope> = Effect.gen(function*() {
  const scope = yield* Effect.scope
  const shared = yield* Effect.serviceOption(Timers.SharedTimers)
  const slot = new RefresherSlot(Option.isSome(shared) ? shared.value : yield* Timers.make)
  // `Scope.addFinalizer`: `Effect.addFinalizer` would keep a copy of this fiber's references per engine
  yield* Scope.addFinalizer(scope, slot.close())
  return slot
})
