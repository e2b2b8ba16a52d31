/**
 * Retries of a token request, on the user's `Schedule`s through `Effect.retry`. Only a `SystemError` is
 * retried: an `InvalidKey` ends the retries at once, whatever the schedule. Every retry is announced as a
 * `RetryScheduled` event with the delay actually waited.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import type * as AuthError from "../../AuthError.js"
import type { Engine } from "./model.js"
import { monotonicMillis } from "./wakeup.js"

/**
 * `schedule`, announcing each retry; `clamp` may shorten a delay (given in milliseconds, with the monotonic
 * time now).
 *
 * @internal
 */
export const announced = <X, R>(
  engine: Engine,
  schedule: Schedule.Schedule<X, AuthError.SystemError, never, R>,
  clamp: (delayMillis: number, now: number) => number = (delay) => delay
): Schedule.Schedule<X, AuthError.SystemError, never, R> =>
  schedule.pipe(
    Schedule.modifyDelay(({ attempt, duration, input: error }) =>
      Effect.clockWith((clock) => {
        const millis = Math.max(0, Math.ceil(clamp(Duration.toMillis(duration), monotonicMillis(clock))))
        return Effect.as(
          engine.events.publish({
            _tag: "RetryScheduled",
            error,
            attempt,
            delay: Duration.millis(millis)
          }),
          Duration.millis(millis)
        )
      })
    )
  )

/**
 * Retries the `SystemError`s of `self` on `schedule` while `keepGoing` holds; an `InvalidKey` is not retried.
 *
 * The retries are set up only once `self` has failed: `Effect.retry` makes its schedule's state when it
 * starts, and most token requests succeed at once. The first failure is then handed to `Effect.retry` as the
 * outcome of its first run, so the schedule sees the same errors in the same order as if it had run from the
 * start.
 *
 * @internal
 */
export const retrySystemErrors = <X, R2>(
  schedule: Schedule.Schedule<X, AuthError.SystemError, never, R2>,
  keepGoing: (error: AuthError.SystemError) => Effect.Effect<boolean>
) =>
<A, R>(self: Effect.Effect<A, AuthError.AuthError, R>): Effect.Effect<A, AuthError.AuthError, R | R2> => {
  // an InvalidKey steps aside into the success channel, so the schedule only ever sees SystemErrors
  const settled = Effect.matchEffect(self, {
    onFailure: (error): Effect.Effect<Result.Result<A, AuthError.InvalidKey>, AuthError.SystemError> =>
      error._tag === "InvalidKey" ? Effect.succeed(Result.fail(error)) : Effect.fail(error),
    onSuccess: (value) => Effect.succeed(Result.succeed(value))
  })
  return Effect.catch(self, (first) => {
    if (first._tag === "InvalidKey") return Effect.fail(first)
    let replayed = false
    const again = Effect.suspend(() => {
      if (replayed) return settled
      replayed = true
      return Effect.fail(first)
    })
    return again.pipe(
      Effect.retry({ schedule, while: keepGoing }),
      Effect.flatMap((outcome) => Result.isFailure(outcome) ? Effect.fail(outcome.failure) : Effect.succeed(outcome.success))
    )
  })
}
