/**
 * Single flight. A flight is one run of "get a token": a `Deferred` in the state machine's `Pending` or
 * `Refreshing` phase that everyone who needs the token awaits. It runs in its own fiber in the service's
 * scope (a caller that gives up does not cancel it for the others), and every way it can end completes the
 * `Deferred` and settles the state: a token, an `AuthError`, a defect (as a `SystemError` with reason
 * `Defect`) or an interruption (the scope closed, or the callers' budget ended). A later caller then
 * starts a fresh flight.
 *
 * While callers wait on a flight, its failed attempts are retried on `waitRetry`, for as long as one of
 * them still waits; the state machine ends their wait `waitTimeout` after the first began (a wake-up, not
 * a racing fiber). A flight nobody waits on (the refresher's) makes one attempt: the refresher retries on
 * its own schedule.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Result from "effect/Result"
import type * as AccessToken from "../../AccessToken.js"
import * as AuthError from "../../AuthError.js"
import * as Http from "../http.js"
import * as Machine from "./machine.js"
import * as Metrics from "./metrics.js"
import { type Engine, knownSecrets } from "./model.js"
import * as RefreshSchedule from "./refreshSchedule.js"
import { attempt } from "./request.js"
import { announced, retrySystemErrors } from "./retries.js"
import { monotonicMillis } from "./wakeup.js"

type Outcome = Exit.Exit<AccessToken.AccessToken, AuthError.AuthError>

/** A new flight's handle; only the one a transition starts is ever forked. @internal */
export const makeFlight = (): Machine.Flight => ({
  result: Deferred.makeUnsafe<AccessToken.AccessToken, AuthError.AuthError>(),
  lastError: Ref.makeUnsafe(Option.none<AuthError.AuthError>()),
  fiber: undefined
})

/**
 * A caller with no valid token (or who wants a new one, `fresh`): answered from memory, or waiting on the
 * flight under way (started if there is none). A caller interrupted while it waits leaves the flight,
 * which stops retrying once nobody waits. Interrupts the caller once the service's scope has closed.
 *
 * @internal
 */
export const awaitToken = (engine: Engine, fresh: boolean): Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> => {
  const waitMillis = Duration.toMillis(engine.settings.waitTimeout)
  return Effect.uninterruptibleMask((restore) =>
    Effect.flatMap(engine.apply((state, now) => Machine.ask(state, now, fresh, makeFlight, waitMillis)), (answer) => {
      switch (answer._tag) {
        case "Done":
          return answer.exit
        case "Interrupt":
          return Effect.interrupt
        case "Await": {
          const { flight } = answer
          return Effect.onInterrupt(
            restore(Deferred.await(flight.result)),
            () => engine.apply((state) => Machine.leave(state, flight))
          )
        }
      }
    })
  )
}

/** Forks the flight's fiber into the service's scope; run by the interpreter, uninterruptibly. @internal */
export const startFlight = (engine: Engine, flight: Machine.Flight): Effect.Effect<void> =>
  Effect.map(Effect.forkIn(runFlight(engine, flight), engine.scope), (fiber) => {
    flight.fiber = fiber
  })

/**
 * The callers' budget is spent: they get the flight's last error (or a timeout), and the flight stops.
 * Run by the interpreter once the state machine has let the flight go.
 *
 * @internal
 */
export const timeOut = (engine: Engine, flight: Machine.Flight): Effect.Effect<void> =>
  Effect.flatMap(Ref.get(flight.lastError), (last) => {
    const error = Option.getOrElse(last, () =>
      AuthError.systemError({
        reason: "Timeout",
        description: `no token within ${Duration.format(engine.settings.waitTimeout)} (waitTimeout)`
      }))
    const fiber = flight.fiber
    return Effect.andThen(Deferred.fail(flight.result, error), fiber === undefined ? Effect.void : Effect.sync(() => fiber.interruptUnsafe()))
  })

// the flight's own exit is already in its Deferred, and reported there
const runFlight = (engine: Engine, flight: Machine.Flight): Effect.Effect<void> => {
  const waitMillis = Duration.toMillis(engine.settings.waitTimeout)
  const attempts = Effect.andThen(
    engine.apply((state, now) => Machine.begin(state, now, flight, waitMillis)),
    work(engine, flight)
  )
  const permitted = engine.flightPermits === undefined ? attempts : engine.flightPermits.withPermit(attempts)
  return Effect.asVoid(Effect.exit(Effect.onExit(Effect.interruptible(permitted), (exit) => finish(engine, flight, exit))))
}

/** The attempts: retried on `waitRetry` while a caller waits on the flight. */
const work = (engine: Engine, flight: Machine.Flight): Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> => {
  const awaited = Effect.map(engine.state.get, (state) => Machine.isAwaited(state, flight))
  return Effect.clockWith((clock) =>
    Effect.flatMap(engine.state.get, (state) => attempt(engine, Machine.validEntry(state, monotonicMillis(clock))?.token))
  ).pipe(
    Effect.tapError((error) => Ref.set(flight.lastError, Option.some(error))),
    retrySystemErrors(announced(engine, engine.settings.waitRetry), () => awaited)
  )
}

/** A defect is reported as a `SystemError` whose cause holds no secret; an interruption stays one. */
const outcomeOf = (engine: Engine, exit: Outcome) =>
  Effect.map(engine.state.get, (state): Outcome => {
    if (Exit.isSuccess(exit)) return exit
    const failure = Cause.findErrorOption(exit.cause)
    if (Option.isSome(failure)) return Exit.fail(failure.value)
    const defect = Cause.findDefect(exit.cause)
    if (Result.isFailure(defect)) return Exit.failCause(exit.cause)
    const safe = Http.safeDefect(defect.success, knownSecrets(engine, state))
    return Exit.fail(AuthError.systemError({
      reason: "Defect",
      description: `getting the token failed unexpectedly: ${safe.name}: ${safe.message}`,
      cause: safe
    }))
  })

/**
 * `refreshSchedule` stepped with a token that arrived: the one run of the schedule goes on from the state
 * the machine holds. A schedule that dies in its step ends its run (reported); tokens are then fetched on
 * demand.
 */
const arrival = (engine: Engine, token: AccessToken.AccessToken): Effect.Effect<Machine.Arrival> =>
  Effect.flatMap(engine.state.get, (state) => {
    const run = state._tag === "Closed" ? RefreshSchedule.done : state.schedule
    const stepped = RefreshSchedule.next(engine.settings.refreshSchedule, run, token).pipe(
      Effect.catchCause((cause) =>
        Effect.as(
          Effect.logError("Hosecloud refreshSchedule failed; tokens are fetched on demand from now on").pipe(
            Effect.annotateLogs({ detail: Http.safeDefect(Cause.squash(cause), knownSecrets(engine, state)).message })
          ),
          { run: RefreshSchedule.done, delayMillis: undefined }
        )
      )
    )
    return Effect.flatMap(stepped, (step) => Effect.map(Clock.currentTimeMillis, (wallNow) => ({ token, wallNow, step })))
  })

/**
 * The end of a flight, however it ended: the schedule stepped with a new token, the state settled, the
 * outcome reported, and the `Deferred` completed (always, even if the bookkeeping before it dies).
 */
const finish = (engine: Engine, flight: Machine.Flight, exit: Outcome): Effect.Effect<void> =>
  Effect.flatMap(outcomeOf(engine, exit), (outcome) =>
    Effect.gen(function*() {
      const arrived: Exit.Exit<Machine.Arrival, AuthError.AuthError> = Exit.isSuccess(outcome)
        ? Exit.succeed(yield* arrival(engine, outcome.value))
        : Exit.failCause(outcome.cause)
      const cooldown = Duration.toMillis(engine.settings.invalidKeyCooldown)
      const settled = yield* engine.apply((state, now) => Machine.settle(state, now, flight, arrived, cooldown))
      yield* report(engine, outcome, settled)
    }).pipe(Effect.ensuring(Deferred.done(flight.result, outcome))))

const report = (engine: Engine, outcome: Outcome, settled: Machine.Settled): Effect.Effect<void> => {
  const { installed, replaced } = settled
  if (installed !== undefined) {
    return Effect.clockWith((clock) => {
      const now = monotonicMillis(clock)
      return Effect.all([
        Effect.logInfo("Hosecloud access token issued").pipe(
          Effect.annotateLogs({
            corpId: installed.token.corpId,
            scope: installed.token.scope,
            expiresAt: DateTime.formatIso(installed.token.expiresAt)
          })
        ),
        replaced !== undefined && now < replaced.expiresAt ? Metric.update(Metrics.refreshes, 1) : Effect.void,
        Metric.update(Metrics.secondsToExpiry, (installed.expiresAt - now) / 1000)
      ], { discard: true })
    })
  }
  const failure = Exit.isFailure(outcome) ? Cause.findErrorOption(outcome.cause) : Option.none()
  if (Option.isNone(failure) || failure.value._tag !== "SystemError" || failure.value.reason !== "Defect") {
    return Effect.void
  }
  const error = failure.value
  return Effect.all([
    Effect.logError("Hosecloud token request died; the waiting callers get a SystemError (Defect)").pipe(
      Effect.annotateLogs({ detail: error.description })
    ),
    Metric.update(Metric.withAttributes(Metrics.failures, { "hosecloud.protocol": engine.protocol.name, tag: error._tag }), 1),
    engine.events.publish({ _tag: "RequestFailed", error })
  ], { discard: true })
}
