/**
 * Effect's default clock hands sleeps to `setTimeout`, which cannot wait longer than 2^31-1 ms (24.8 days);
 * Effect treats a longer sleep as infinite, so it never wakes. Tokens can live longer than that (the
 * legacy v2 exchange issues 32-day tokens). The timers (`engine/timers.ts`) sleep at most `maxTimerMillis`
 * at a time; a retry's delay is waited out here in pieces, measuring what is left against the clock after
 * each one, and the rest handed to its schedule. No clock is swapped: a fiber that changes its clock
 * carries a copy of its whole context for as long as it sleeps.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** The longest wait a JavaScript timer holds. @internal */
export const maxTimerMillis = 2 ** 31 - 1

const sleepUntil = (deadline: number): Effect.Effect<void> =>
  Effect.clockWith((clock) => {
    const left = deadline - clock.currentTimeMillisUnsafe()
    if (left <= 0) return Effect.void
    return left <= maxTimerMillis
      ? clock.sleep(Duration.millis(left))
      : Effect.andThen(clock.sleep(Duration.millis(maxTimerMillis)), sleepUntil(deadline))
  })

/**
 * Waits out all of a delay of `millis` but its last `maxTimerMillis`, and answers what is left, which a
 * timer can hold: for a `Schedule`'s `modifyDelayEffect`. @internal
 */
export const timerSized = (millis: number): Effect.Effect<Duration.Duration> => {
  if (!Number.isFinite(millis)) return Effect.succeed(Duration.infinity)
  if (millis <= maxTimerMillis) return Effect.succeed(Duration.millis(Math.max(0, millis)))
  return Effect.clockWith((clock) => {
    const deadline = clock.currentTimeMillisUnsafe() + millis
    return Effect.andThen(
      sleepUntil(deadline - maxTimerMillis),
      Effect.sync(() => Duration.millis(Math.max(0, deadline - clock.currentTimeMillisUnsafe())))
    )
  })
}
