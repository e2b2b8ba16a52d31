/**
 * Effect's default clock hands sleeps to `setTimeout`, which cannot wait longer than 2^31-1 ms (24.8 days);
 * Effect treats a longer sleep as infinite, so it never wakes. Tokens can live longer than that (the
 * legacy v2 exchange issues 32-day tokens), so the refresher runs on a clock that cuts a long sleep into
 * pieces the timer can hold, measuring what is left against the clock after each one.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** The longest wait a JavaScript timer holds. @internal */
export const maxTimerMillis = 2 ** 31 - 1

/** A clock that waits like `clock`, in pieces of at most `pieceMillis`. @internal */
export const splitting = (clock: Clock.Clock, pieceMillis: number = maxTimerMillis): Clock.Clock => {
  const sleepUntil = (deadline: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      const left = deadline - clock.unsafeCurrentTimeMillis()
      if (left <= 0) return Effect.void
      if (left <= pieceMillis) return clock.sleep(Duration.millis(left))
      return Effect.zipRight(clock.sleep(Duration.millis(pieceMillis)), sleepUntil(deadline))
    })
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => clock.unsafeCurrentTimeMillis(),
    currentTimeMillis: clock.currentTimeMillis,
    unsafeCurrentTimeNanos: () => clock.unsafeCurrentTimeNanos(),
    currentTimeNanos: clock.currentTimeNanos,
    sleep: (duration) => {
      if (!Duration.isFinite(duration)) return Effect.never
      const millis = Duration.toMillis(duration)
      return millis <= pieceMillis
        ? clock.sleep(duration)
        : Effect.suspend(() => sleepUntil(clock.unsafeCurrentTimeMillis() + millis))
    }
  }
}

/** Runs `effect` with long sleeps split on whatever clock is current (the test clock in tests). @internal */
export const withLongSleeps = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.clockWith((clock) => Effect.withClock(effect, splitting(clock)))
