/**
 * Retries of a token request, on the user's `Schedule`s through `Effect.retry`. Only a `SystemError` is
 * retried: an `InvalidKey` ends the retries at once, whatever the schedule. Every retry is announced as a
 * `RetryScheduled` event with the delay actually waited.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schedule from "effect/Schedule"
import type * as AuthError from "../../AuthError.js"
import { timerSized } from "../longSleep.js"
import type { Engine } from "./model.js"
import { monotonicMillis } from "./timers.js"

/**
 * `schedule`, announcing each retry; `clamp` may shorten a delay (given in milliseconds, with the monotonic
 * time now).
 *
 * @internal
 */
export const announced = <X, R>(
  engine: Engine,
  schedule: Schedule.Schedule<X, AuthError.SystemError, R>,
  clamp: (delayMillis: number, now: number) => number = (delay) => delay
): Schedule.Schedule<[AuthError.SystemError, number], AuthError.SystemError, R> =>
  schedule.pipe(
    Schedule.zipRight(Schedule.identity<AuthError.SystemError>()),
    Schedule.intersect(Schedule.count),
    Schedule.modifyDelayEffect(([error, count], delay) =>
      Effect.clockWith((clock) => {
        const millis = Math.max(0, Math.ceil(clamp(Duration.toMillis(delay), monotonicMillis(clock))))
        return Effect.zipRight(
          engine.events.publish({
            _tag: "RetryScheduled",
            error,
            attempt: count + 1,
            delay: Duration.millis(millis)
          }),
          timerSized(millis)
        )
      })
    )
  )

/**
 * Retries the `SystemError`s of `self` on `schedule` while `keepGoing` holds; an `InvalidKey` is not retried.
 *
 * The retries are set up only once `self` has failed: `Effect.retry` makes its schedule's state and driver
 * when it starts (13.8 KiB of heap per run on effect 3.22.4, a tenth of what a cold flight allocates), and
 * most token requests succeed at once. The first failure is then handed to `Effect.retry` as the outcome of
 * its first run, so the schedule sees the same errors in the same order as if it had run from the start.
 *
 * @internal
 */
export const retrySystemErrors = <X, R2>(
  schedule: Schedule.Schedule<X, AuthError.SystemError, R2>,
  keepGoing: (error: AuthError.SystemError) => Effect.Effect<boolean>
) =>
<A, R>(self: Effect.Effect<A, AuthError.AuthError, R>): Effect.Effect<A, AuthError.AuthError, R | R2> => {
  // an InvalidKey steps aside into the success channel, so the schedule only ever sees SystemErrors
  const settled = Effect.matchEffect(self, {
    onFailure: (error): Effect.Effect<Either.Either<A, AuthError.InvalidKey>, AuthError.SystemError> =>
      error._tag === "InvalidKey" ? Effect.succeed(Either.left(error)) : Effect.fail(error),
    onSuccess: (value) => Effect.succeed(Either.right(value))
  })
  return Effect.catchAll(self, (first) => {
    if (first._tag === "InvalidKey") return Effect.fail(first)
    let replayed = false
    const again = Effect.suspend(() => {
      if (replayed) return settled
      replayed = true
      return Effect.fail(first)
    })
    return again.pipe(
      Effect.retry({ schedule, while: keepGoing }),
      Effect.flatMap((outcome) => Either.isLeft(outcome) ? Effect.fail(outcome.left) : Effect.succeed(outcome.right))
    )
  })
}
