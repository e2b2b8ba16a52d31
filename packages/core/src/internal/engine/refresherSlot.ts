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
import type * as Scope from "effect/Scope"
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
export class RefresherSlot implements Timers.Task {
  private current: Turn | undefined = undefined
  /** What the wake-up starts. */
  private next: Work | undefined = undefined
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
    this.next = next
    // the slot is the wake-up's task: a cancelled wake-up never runs, so the one that runs is the latest
    this.wakeup = this.timers.at(at, this)
  }

  /** The wake-up is due. @internal */
  wake(): void {
    const next = this.next
    this.drop()
    if (next !== undefined) this.start(next)
  }

  private drop() {
    this.wakeup?.cancel()
    this.wakeup = undefined
    this.next = undefined
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

/**
 * The engine's slot, on the shared timers if a registry provides them, else on timers of its own (in the
 * scope). The engine closes the slot with its scope (`close`). @internal
 */
export const make: Effect.Effect<RefresherSlot, never, Scope.Scope> = Effect.map(
  Effect.flatMap(Effect.serviceOption(Timers.SharedTimers), Option.match({ onNone: () => Timers.make, onSome: Effect.succeed })),
  (timers) => new RefresherSlot(timers)
)
