/**
 * The refresher of one token. It asks `refreshSchedule`, driven one step by `Effect.scheduleFrom` with the
 * token, when the refresh is due (`dueTime`), and waits for it as a wake-up in the engine's refresher slot
 * (`refresherSlot.ts`), holding no fiber. When due, it refreshes in the background, retrying a
 * `SystemError` on `retry` with every delay cut at the token's expiry, while the token is still served to
 * everyone. A new token, however it arrives, replaces the refresher. When the refresh gives up or the
 * schedule ends, the token is served until it expires (announced by a last wake-up) and nothing is asked
 * until a caller needs a token again.
 *
 * Two guards hold whatever the schedule: a refresh is never due before half the token's life has passed
 * (so no schedule can cause a loop of refreshes), and a delay longer than a timer can hold is waited out
 * in pieces by the timers (so a 30-day token is refreshed on the real clock).
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
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "../../AccessToken.js"
import type * as AuthError from "../../AuthError.js"
import * as Http from "../http.js"
import { joinFlight } from "./flight.js"
import * as Metrics from "./metrics.js"
import { type Engine, type Entry, knownSecrets } from "./model.js"
import type { Turn, Work } from "./refresherSlot.js"
import { announced, retrySystemErrors } from "./retries.js"

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

/** A piece of the refresher's work, reporting what it did not expect. */
const guarded = (engine: Engine, work: Effect.Effect<void>): Effect.Effect<void> =>
  Effect.catchAllCause(work, (cause) =>
    Cause.isInterruptedOnly(cause) ? Effect.void : Effect.flatMap(engine.state.get, (state) =>
      Effect.logError("Hosecloud token refresher failed; tokens are fetched on demand until the next one").pipe(
        Effect.annotateLogs({ detail: Http.safeDefect(Cause.squash(cause), knownSecrets(engine, state)).message })
      )))

/** The token has expired with nothing to replace it: reported, and nothing is asked until a caller needs one. */
const expired = (engine: Engine, entry: Entry): Effect.Effect<void> =>
  Effect.zipRight(
    Metric.set(Metrics.secondsToExpiry, 0),
    engine.events.publish({ _tag: "TokenExpired", token: entry.token })
  )

/** Served until it expires: a wake-up at its expiry. */
const untilExpiry = (engine: Engine, turn: Turn, entry: Entry): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    now < entry.expiresAt ? turn.later(entry.expiresAt, () => guarded(engine, expired(engine, entry))) : expired(engine, entry))

/**
 * When `refreshSchedule` wants the refresh of a token it is given as `input`, in clock milliseconds;
 * `undefined` once it is done. `Effect.scheduleFrom` drives it for one step and stops (the other side of
 * the intersection, `recurs(0)`, is done at once): the delay the step decides is noted, and nothing is run
 * and nothing slept for it. Each token starts the schedule afresh.
 */
const dueTime = (engine: Engine, input: AccessToken.AccessToken): Effect.Effect<number | undefined> =>
  Effect.suspend(() => {
    let due: number | undefined
    const noted = engine.settings.refreshSchedule.pipe(
      Schedule.modifyDelayEffect((_, delay) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          due = now + Duration.toMillis(delay)
          return Duration.zero
        })
      ),
      Schedule.intersect(Schedule.recurs(0))
    )
    return Effect.map(Effect.scheduleFrom(Effect.succeed(input), input, noted), () => due)
  })

/**
 * Plans the refresh of `entry` with `input` (its token, or the one a refresh brought that did not replace
 * it): due when the schedule says, but never before half the token's life; it is announced, and a wake-up
 * waits for it. A schedule that is done, or waits forever, leaves the token to expire.
 */
const plan = (engine: Engine, turn: Turn, entry: Entry, input: AccessToken.AccessToken): Effect.Effect<void> =>
  Effect.flatMap(dueTime(engine, input), (due) => {
    const halfLife = entry.issuedAt + (entry.expiresAt - entry.issuedAt) / 2
    const at = due === undefined ? Infinity : Math.max(due, halfLife)
    if (!Number.isFinite(at)) return untilExpiry(engine, turn, entry)
    return Effect.zipRight(
      engine.events.publish({ _tag: "RefreshScheduled", at: DateTime.unsafeMake(at), token: entry.token }),
      turn.later(at, (turn) => guarded(engine, refreshThenPlan(engine, turn, entry)))
    )
  })

/**
 * The refresh, when due. Its token normally replaces this refresher with its own; if it is still here
 * (the token was not installed), the next refresh is planned with it. A refresh that gives up (its
 * failures were reported) leaves the token to expire.
 */
const refreshThenPlan = (engine: Engine, turn: Turn, entry: Entry): Effect.Effect<void> =>
  Effect.matchEffect(refreshOnce(engine, entry), {
    onFailure: () => untilExpiry(engine, turn, entry),
    onSuccess: (token) => plan(engine, turn, entry, token)
  })

/** The refresher of `entry`, to start in the engine's refresher slot. @internal */
export const refresherFor = (engine: Engine, entry: Entry): Work => (turn) =>
  guarded(engine, plan(engine, turn, entry, entry.token))
