/**
 * One attempt at a token: upstream (or through the fleet's store), within `requestTimeout`, placed on
 * the local clock, and observed: a client span with its outcome, the request and failure counters, a
 * Warning per failure and a `RequestFailed` event. A defect leaves this function with every known secret
 * masked, so neither the span nor any log shows what the dying code held.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as AccessToken from "../../AccessToken.js"
import * as AuthError from "../../AuthError.js"
import * as Http from "../http.js"
import * as Secrets from "../secrets.js"
import type * as SharedToken from "../sharedToken.js"
import * as Metrics from "./metrics.js"
import { type Engine, knownSecrets } from "./model.js"
import * as Timers from "./timers.js"

const send = (engine: Engine, held: AccessToken.AccessToken | undefined) => {
  const { protocol, settings } = engine
  const issue = held === undefined || Option.isNone(protocol.refresh)
    ? protocol.issue
    // an exchange that fails (or is refused) falls back to a new token
    : Effect.catchAll(protocol.refresh.value(held), () => protocol.issue)
  return Timers.within(engine.timers, issue, Duration.toMillis(settings.requestTimeout), () =>
    AuthError.systemError({
      reason: "Timeout",
      description: `no answer within ${Duration.format(settings.requestTimeout)}`
    })).pipe(
    // a server can echo a secret back (appSecurity in "bad parameters", a token): its text is scrubbed here,
    // before it reaches the span, a log line or a caller
    Effect.catchAll((error) =>
      Effect.flatMap(engine.state.get, (state) => {
        const secrets = [...knownSecrets(engine, state), ...(held === undefined ? [] : [held.accessToken, held.refreshToken])]
        return Effect.fail(Secrets.scrubAuthError(error, Secrets.values(secrets)))
      })
    )
  )
}

/** One request to the token endpoint, its answer placed on the local clock. @internal */
export const fetchUpstream = (
  engine: Engine,
  held: AccessToken.AccessToken | undefined
): Effect.Effect<SharedToken.Obtained, AuthError.AuthError> =>
  Effect.gen(function*() {
    const sentAt = yield* Clock.currentTimeMillis
    yield* Metric.increment(Metrics.requestsOf(engine.protocol.name))
    const issued = yield* send(engine, held)
    const receivedAt = yield* Clock.currentTimeMillis
    const offset = AccessToken.clockOffset(issued.serverTime, sentAt)
    if (Either.isLeft(offset)) {
      yield* Effect.logWarning("Hosecloud's Date header disagrees with the local clock by more than a day; ignored").pipe(
        Effect.annotateLogs({ offsetSeconds: Math.round(offset.left / 1000) })
      )
    }
    const token = yield* AccessToken.fromIssued(issued, { sentAt, receivedAt })
    return { token, source: "upstream" } as const
  })

const observeFailure = (engine: Engine, error: AuthError.AuthError) =>
  Effect.all([
    Effect.annotateCurrentSpan({
      "hosecloud.outcome": error._tag,
      "error.type": error._tag === "SystemError" ? `SystemError.${error.reason}` : error._tag,
      ...(error._tag === "SystemError" && Option.isSome(error.traceId)
        ? { "hosecloud.trace_id": error.traceId.value }
        : {})
    }),
    Metric.increment(Metric.tagged(Metric.tagged(Metrics.failures, "hosecloud.protocol", engine.protocol.name), "tag", error._tag)),
    Effect.logWarning("Hosecloud token request failed").pipe(
      Effect.annotateLogs(
        error._tag === "SystemError"
          ? {
            tag: error._tag,
            reason: error.reason,
            traceId: Option.getOrElse(error.traceId, () => "none"),
            detail: error.message
          }
          : { tag: error._tag, detail: error.message }
      )
    ),
    engine.events.publish({ _tag: "RequestFailed", error })
  ], { discard: true })

/**
 * One attempt: `held` is the valid token being replaced, if any (for a refresh-token exchange, and so
 * that the fleet's store does not hand the same token back).
 *
 * @internal
 */
export const attempt = (
  engine: Engine,
  held: AccessToken.AccessToken | undefined
): Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> => {
  const upstream = fetchUpstream(engine, held)
  const obtained = engine.coordinator === undefined ? upstream : engine.coordinator.obtain(upstream, held)
  return obtained.pipe(
    Effect.tap(({ source, token }) =>
      Effect.annotateCurrentSpan({
        "hosecloud.outcome": "success",
        "hosecloud.source": source,
        "hosecloud.corp_id": token.corpId
      })
    ),
    Effect.map(({ token }) => token),
    Effect.tapError((error) => observeFailure(engine, error)),
    Effect.catchAllDefect((defect) =>
      Effect.flatMap(engine.state.get, (state) => Effect.die(Http.safeDefect(defect, knownSecrets(engine, state))))
    ),
    Effect.withSpan("HosecloudAuth.request", {
      kind: "client",
      // a stack trace per flight costs more than the rest of the span, and says nothing a user can act on
      captureStackTrace: false,
      attributes: {
        "hosecloud.protocol": engine.protocol.name,
        "hosecloud.refresh": held !== undefined,
        ...(engine.protocol.serverAddress === undefined ? {} : { "server.address": engine.protocol.serverAddress })
      }
    })
  )
}
