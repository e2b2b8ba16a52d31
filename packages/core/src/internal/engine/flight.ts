/**
 * Single flight. A flight is one run of "get a token", held in the state as a `Deferred` that everyone
 * who needs a token awaits. It runs in its own fiber in the service's scope (a caller that gives up does
 * not cancel it for the others), and every way it can end completes the `Deferred` and clears it from
 * the state: a token, an `AuthError`, a defect (as a `SystemError` with reason `Defect`) or an
 * interruption (the scope closed). A later caller then starts a fresh flight.
 *
 * A flight started by the refresher makes one attempt; the refresher retries on its own schedule. Once a
 * caller waits on a flight (it is "urgent"), failed attempts are retried on `waitRetry`, and the flight
 * ends `waitTimeout` after the first caller began to wait, however far its requests got.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as DateTime from "effect/DateTime"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as AccessToken from "../../AccessToken.js"
import * as AuthError from "../../AuthError.js"
import * as Http from "../http.js"
import * as Metrics from "./metrics.js"
import { type Engine, type Flight, join, knownSecrets, type Settled, settle, validEntry } from "./model.js"
import { attempt } from "./request.js"
import { announced, retrySystemErrors } from "./retries.js"

type Outcome = Exit.Exit<AccessToken.AccessToken, AuthError.AuthError>

const makeFlight: Effect.Effect<Flight> = Effect.all({
  result: Deferred.make<AccessToken.AccessToken, AuthError.AuthError>(),
  urgent: Deferred.make<void>(),
  lastError: Ref.make(Option.none<AuthError.AuthError>())
})

/**
 * Joins the flight under way, or starts one. `urgent`: the caller is about to wait on it for a token it
 * does not have. Interrupts the caller once the service's scope has closed.
 *
 * @internal
 */
export const joinFlight = (engine: Engine, urgent: boolean): Effect.Effect<Flight> =>
  // uninterruptible from the state change to the fork, so that a flight in the state always has a fiber;
  // the fiber starts uninterruptible too, and only its work is made interruptible (see `runFlight`)
  Effect.uninterruptible(
    Effect.flatMap(engine.state.get, (state) => {
      if (state.closed) return Effect.interrupt
      // joining changes nothing: only a caller that finds no flight goes through `modify`
      if (state.flight !== undefined) return hurry(state.flight, urgent)
      return Effect.flatMap(makeFlight, (candidate) =>
        Effect.flatMap(engine.state.modify((state) => join(state, candidate)), (flight) => {
          if (flight === undefined) return Effect.interrupt
          const started = flight === candidate ? Effect.forkIn(runFlight(engine, flight), engine.scope) : Effect.void
          return Effect.zipRight(started, hurry(flight, urgent))
        }))
    })
  )

const hurry = (flight: Flight, urgent: boolean): Effect.Effect<Flight> =>
  urgent ? Effect.as(Deferred.succeed(flight.urgent, undefined), flight) : Effect.succeed(flight)

/** Joins (or starts) a flight and waits for its token, as a caller with no valid token does. @internal */
export const awaitToken = (engine: Engine): Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> =>
  Effect.flatMap(joinFlight(engine, true), (flight) => Deferred.await(flight.result))

// the flight's own exit is already in its Deferred, and reported there
const runFlight = (engine: Engine, flight: Flight): Effect.Effect<void> => {
  const permitted = engine.flightPermits === undefined ? work(engine, flight) : engine.flightPermits.withPermit(work(engine, flight))
  return Effect.asVoid(Effect.exit(Effect.onExit(Effect.interruptible(permitted), (exit) => finish(engine, flight, exit))))
}

/** The attempts, raced against the waiting callers' budget. */
const work = (engine: Engine, flight: Flight): Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> => {
  const isUrgent = Deferred.isDone(flight.urgent)
  const attempts = Effect.flatMap(Effect.zip(engine.state.get, Clock.currentTimeMillis), ([state, now]) =>
    attempt(engine, validEntry(state, now)?.token)
  ).pipe(
    Effect.tapError((error) => Ref.set(flight.lastError, Option.some(error))),
    retrySystemErrors(announced(engine, engine.settings.waitRetry), () => isUrgent)
  )
  const budget = Deferred.await(flight.urgent).pipe(
    Effect.zipRight(Effect.sleep(engine.settings.waitTimeout)),
    Effect.zipRight(Ref.get(flight.lastError)),
    Effect.flatMap(Option.match({
      onSome: (error) => Effect.fail(error),
      onNone: () =>
        Effect.fail(AuthError.systemError({
          reason: "Timeout",
          description: `no token within ${Duration.format(engine.settings.waitTimeout)} (waitTimeout)`
        }))
    }))
  )
  return Effect.raceFirst(attempts, budget)
}

/** A defect is reported as a `SystemError` whose cause holds no secret; an interruption stays one. */
const outcomeOf = (engine: Engine, exit: Outcome) =>
  Effect.map(engine.state.get, (state): Outcome => {
    if (Exit.isSuccess(exit)) return exit
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) return Exit.fail(failure.value)
    const defect = Cause.dieOption(exit.cause)
    if (Option.isNone(defect)) return Exit.failCause(exit.cause)
    const safe = Http.safeDefect(defect.value, knownSecrets(engine, state))
    return Exit.fail(AuthError.systemError({
      reason: "Defect",
      description: `getting the token failed unexpectedly: ${safe.name}: ${safe.message}`,
      cause: safe
    }))
  })

/**
 * The end of a flight, however it ended: settle the state, report, start the new token's refresher, and
 * complete the `Deferred` (always, even if the bookkeeping before it dies).
 */
const finish = (engine: Engine, flight: Flight, exit: Outcome): Effect.Effect<void> =>
  Effect.flatMap(outcomeOf(engine, exit), (outcome) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const cooldown = Duration.toMillis(engine.settings.invalidKeyCooldown)
      const settled = yield* engine.state.modify((state) => settle(state, flight, outcome, now, cooldown))
      const { installed } = settled
      // the token is announced, then its refresher replaces the old one, before anyone is woken by it
      yield* report(engine, outcome, settled, now).pipe(
        Effect.ensuring(installed === undefined ? Effect.void : Effect.sync(() => engine.startRefresher(installed)))
      )
    }).pipe(Effect.ensuring(Deferred.done(flight.result, outcome))))

const report = (engine: Engine, outcome: Outcome, settled: Settled, now: number): Effect.Effect<void> => {
  const { installed, replaced } = settled
  if (installed !== undefined) {
    return Effect.all([
      Effect.logInfo("Hosecloud access token issued").pipe(
        Effect.annotateLogs({
          corpId: installed.token.corpId,
          scope: installed.token.scope,
          expiresAt: DateTime.formatIso(installed.token.expiresAt)
        })
      ),
      replaced !== undefined && now < replaced.expiresAt ? Metric.increment(Metrics.refreshes) : Effect.void,
      Metric.set(Metrics.secondsToExpiry, (installed.expiresAt - now) / 1000),
      engine.events.publish({ _tag: "TokenIssued", token: installed.token })
    ], { discard: true })
  }
  const failure = Exit.isFailure(outcome) ? Cause.failureOption(outcome.cause) : Option.none()
  if (Option.isNone(failure) || failure.value._tag !== "SystemError" || failure.value.reason !== "Defect") {
    return Effect.void
  }
  const error = failure.value
  return Effect.all([
    Effect.logError("Hosecloud token request died; the waiting callers get a SystemError (Defect)").pipe(
      Effect.annotateLogs({ detail: error.description })
    ),
    Metric.increment(Metric.tagged(Metric.tagged(Metrics.failures, "hosecloud.protocol", engine.protocol.name), "tag", error._tag)),
    engine.events.publish({ _tag: "RequestFailed", error })
  ], { discard: true })
}
