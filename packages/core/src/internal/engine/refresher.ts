/**
 * The refresher of one token. It steps `refreshSchedule` with the token (`Effect.scheduleFrom`); at each
 * recurrence it refreshes in the background, retrying a `SystemError` on `retry` with every delay cut
 * at the token's expiry, while the token is still served to everyone. A new token, however it arrives,
 * replaces the refresher. When the refresh gives up or the schedule ends, the token is served until it
 * expires and nothing is asked until a caller needs a token again.
 *
 * Two guards hold whatever the schedule: a refresh is never due before half the token's life has passed
 * (so no schedule can cause a loop of refreshes), and a delay longer than a timer can hold is waited out
 * in pieces (so a 30-day token is refreshed on the real clock).
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "../../AccessToken.js"
import type * as AuthError from "../../AuthError.js"
import * as Http from "../http.js"
import { sleepMillis, timerSized } from "../longSleep.js"
import { joinFlight } from "./flight.js"
import * as Metrics from "./metrics.js"
import { type Engine, type Entry, knownSecrets } from "./model.js"
import { announced, retrySystemErrors } from "./retries.js"

/** The user's schedule, held back to half the token's life, announcing each refresh it schedules. */
const scheduleFor = (engine: Engine, entry: Entry) =>
  engine.settings.refreshSchedule.pipe(
    Schedule.modifyDelayEffect((_, delay) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const halfLife = entry.issuedAt + (entry.expiresAt - entry.issuedAt) / 2
        const at = Math.max(now + Duration.toMillis(delay), halfLife)
        const when = Number.isFinite(at) ? DateTime.make(at) : Option.none()
        const announce: Effect.Effect<unknown> = Option.match(when, {
          onNone: () => Effect.void,
          onSome: (at) =>
            engine.events.publish({ _tag: "RefreshScheduled", at: DateTime.toUtc(at), token: entry.token })
        })
        return Effect.zipRight(announce, timerSized(Math.ceil(at - now)))
      })
    )
  )

/** One background refresh of `entry`, retried until it succeeds or the token expires. */
const refreshOnce = (engine: Engine, entry: Entry): Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> => {
  const expiresIn = Effect.map(Clock.currentTimeMillis, (now) => entry.expiresAt - now)
  const once = expiresIn.pipe(
    Effect.flatMap((left) => Metric.set(Metrics.secondsToExpiry, left / 1000)),
    Effect.zipRight(joinFlight(engine, false)),
    Effect.flatMap((flight) => Deferred.await(flight.result))
  )
  return once.pipe(
    retrySystemErrors(
      announced(engine, engine.settings.retry, (delay, now) => Math.min(delay, entry.expiresAt - now)),
      () => Effect.map(expiresIn, (left) => left > 0)
    )
  )
}

/** The refresher of `entry`, to run in the engine's refresher slot. @internal */
export const refresherFor = (engine: Engine, entry: Entry): Effect.Effect<void> =>
  Effect.gen(function*() {
    // built when due, not held by the sleeping fiber
    const refresh = Effect.suspend(() => refreshOnce(engine, entry))
    yield* Effect.scheduleFrom(refresh, entry.token, scheduleFor(engine, entry)).pipe(
      // the refresh gave up (its failures were reported) or the schedule ended: served until it expires
      Effect.catchAll(() => Effect.void)
    )
    const left = entry.expiresAt - (yield* Clock.currentTimeMillis)
    if (left > 0) yield* sleepMillis(left)
    yield* Metric.set(Metrics.secondsToExpiry, 0)
    yield* engine.events.publish({ _tag: "TokenExpired", token: entry.token })
  }).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.void : Effect.flatMap(engine.state.get, (state) =>
        Effect.logError("Hosecloud token refresher failed; tokens are fetched on demand until the next one").pipe(
          Effect.annotateLogs({ detail: Http.safeDefect(Cause.squash(cause), knownSecrets(engine, state)).message })
        ))
    )
  )
