/**
 * The engine's one wake-up: a fiber asleep until the state machine's next deadline (`Machine.wakeAt`), on the
 * monotonic clock. A change of deadline interrupts the sleeping fiber and forks another, in the same
 * synchronous step as the change, so that the wake-up always matches the state. A fiber asleep costs 1.6 KiB
 * on Effect 4; the clock in context (`TestClock` in tests) wakes it, and Effect 4's own clock waits out a
 * sleep longer than a JavaScript timer holds (24.8 days) in pieces. A registry's tenants share one instead
 * (`deadlines.ts`).
 *
 * @internal
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"

/**
 * The clock's monotonic time in milliseconds (`Clock.monotonicTimeNanos`: what a wall clock stepped
 * backwards or forwards does not move; `TestClock` drives it in tests). Every deadline of the engine is on
 * it. (Effect 4's `currentTimeNanos` is a wall clock, as `currentTimeMillis` is.)
 *
 * @internal
 */
export const monotonicMillis = (clock: Clock.Clock): number => Number(clock.monotonicTimeNanosUnsafe()) / 1_000_000

/**
 * Sleeps until the monotonic clock reaches `at`, looking again after each sleep (a sleep is on the clock's
 * own time, which a stepped wall clock can make end early or late). Always yields first: it is forked from
 * inside a change of the engine's state, which its end changes again.
 *
 * @internal
 */
export const sleepUntil = (at: number): Effect.Effect<void> =>
  Effect.andThen(
    Effect.yieldNow,
    Effect.clockWith((clock) => {
      const loop: Effect.Effect<void> = Effect.suspend(() => {
        const left = Math.ceil(at - monotonicMillis(clock))
        return left <= 0 ? Effect.void : Effect.andThen(clock.sleep(Duration.millis(left)), loop)
      })
      return loop
    })
  )

/**
 * The one wake-up of an engine: `arm(at)` keeps a fiber asleep until `at` (none for `undefined`), which then
 * runs `wake`; forked with `fork`, not as a child of whoever changes the state.
 *
 * @internal
 */
export class Wakeup {
  private fiber: Fiber.Fiber<void> | undefined = undefined
  private armedAt: number | undefined = undefined

  constructor(
    private readonly fork: (effect: Effect.Effect<void>) => Fiber.Fiber<void>,
    private readonly wake: Effect.Effect<void>
  ) {}

  arm(at: number | undefined): void {
    if (at === this.armedAt) return
    this.armedAt = at
    const previous = this.fiber
    this.fiber = undefined
    previous?.interruptUnsafe()
    if (at === undefined || Number.isNaN(at)) return
    const fiber: Fiber.Fiber<void> = this.fork(Effect.andThen(
      sleepUntil(at),
      Effect.suspend(() => {
        // it is the wake-up no more: the state it changes may arm the next one
        if (this.fiber === fiber) {
          this.fiber = undefined
          this.armedAt = undefined
        }
        return this.wake
      })
    ))
    this.fiber = fiber
  }
}
