/**
 * The refresher: the background refresh of a token whose refresh the state machine found due. It runs in
 * a fiber of its own only while it works: it joins (or starts) a flight, and retries a `SystemError` on
 * `retry`, every delay cut at the token's expiry, while the token is still served to everyone. It ends
 * when a token arrives (the machine plans the next refresh with it), when the token is no longer the one
 * held, or at its expiry; the machine stops it then, or when the scope closes.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Metric from "effect/Metric"
import type * as AuthError from "../../AuthError.js"
import * as Http from "../http.js"
import { makeFlight } from "./flight.js"
import * as Machine from "./machine.js"
import * as Metrics from "./metrics.js"
import { type Engine, knownSecrets } from "./model.js"
import { announced, retrySystemErrors } from "./retries.js"
import { monotonicMillis } from "./wakeup.js"

/** Milliseconds left of `entry`'s life. */
const left = (entry: Machine.Entry) => Effect.clockWith((clock) => Effect.succeed(entry.expiresAt - monotonicMillis(clock)))

/** One try: await the flight that replaces `entry`, if it is still the token held. */
const once = (engine: Engine, entry: Machine.Entry): Effect.Effect<void, AuthError.AuthError> =>
  Effect.andThen(
    Effect.flatMap(left(entry), (millis) => Metric.update(Metrics.secondsToExpiry, millis / 1000)),
    Effect.flatMap(engine.apply((state, now) => Machine.refresh(state, now, entry, makeFlight)), (answer) =>
      answer._tag === "Stop" ? Effect.void : Effect.asVoid(Deferred.await(answer.flight.result)))
  )

/** The background refresh of `entry`, retried until it succeeds or the token expires. @internal */
export const refresher = (engine: Engine, entry: Machine.Entry): Effect.Effect<void> =>
  once(engine, entry).pipe(
    retrySystemErrors(
      announced(engine, engine.settings.retry, (delay, now) => Math.min(delay, entry.expiresAt - now)),
      () => Effect.map(left(entry), (millis) => millis > 0)
    ),
    // the errors were reported by the requests that met them: the token is left to expire
    Effect.catch(() => Effect.void),
    Effect.catchCause((cause) =>
      Cause.hasInterruptsOnly(cause) ? Effect.void : Effect.flatMap(engine.state.get, (state) =>
          Effect.logError("Hosecloud token refresher failed; tokens are fetched on demand until the next one").pipe(
            Effect.annotateLogs({ detail: Http.safeDefect(Cause.squash(cause), knownSecrets(engine, state)).message })
          ))
    )
  )
