/**
 * The token engine behind `HosecloudAuth`: the interpreter of its state machine (`engine/machine.ts`).
 * The state is one value in a `Ref` (`engine/stateRef.ts`, whose changes are published); a transition is
 * applied to it atomically, then its commands are run on Effect's primitives: a flight forked into the
 * service's scope (`engine/flight.ts`), the refresher forked while it works (`engine/refresher.ts`), events
 * published. The one wake-up the machine needs next (`wakeAt`) is kept on the timers (`engine/timers.ts`)
 * and re-armed in the same synchronous step as each change, so that it always matches the state.
 *
 * The hot path, `token` with a valid token held, reads the monotonic clock and the Ref and returns the
 * `Exit` built when the token arrived: no fiber, no lock, no allocation.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as AccessToken from "../AccessToken.js"
import type * as AuthError from "../AuthError.js"
import type * as HosecloudAuth from "../HosecloudAuth.js"
import type * as TokenProtocol from "../TokenProtocol.js"
import { Events } from "./engine/events.js"
import { awaitToken, startFlight, timeOut } from "./engine/flight.js"
import { FlightPermits } from "./engine/flightPermits.js"
import * as Machine from "./engine/machine.js"
import type * as Model from "./engine/model.js"
import * as RefreshSchedule from "./engine/refreshSchedule.js"
import { refresher } from "./engine/refresher.js"
import { StateRef } from "./engine/stateRef.js"
import * as Timers from "./engine/timers.js"
import type * as SharedToken from "./sharedToken.js"

/** @internal */
export type AuthEvent = Model.AuthEvent

/** @internal */
export type Settings = Model.Settings

/**
 * The engine's one wake-up and its one refresher fiber. The wake-up is its own task (no closure per
 * wake-up); it applies the machine's `wake` in a fiber of the timers' runtime, not a caller's.
 */
class Runner implements Timers.Task {
  private wakeup: Timers.Wakeup | undefined = undefined
  private armedAt: number | undefined = undefined
  private refresherFiber: Fiber.RuntimeFiber<void> | undefined = undefined
  engine: Model.Engine | undefined = undefined

  constructor(private readonly timers: Timers.Timers) {}

  /** Keeps the wake-up at `at` (none if `undefined`). */
  arm(at: number | undefined): void {
    if (at === this.armedAt) return
    this.wakeup?.cancel()
    this.armedAt = at
    this.wakeup = at === undefined ? undefined : this.timers.at(at, this)
  }

  wake(): void {
    this.wakeup = undefined
    this.armedAt = undefined
    const engine = this.engine
    if (engine !== undefined) this.timers.fork(engine.apply(Machine.wake))
  }

  startRefresher(effect: Effect.Effect<void>): void {
    this.stopRefresher()
    const fiber = this.timers.fork(effect)
    this.refresherFiber = fiber
    // a fiber that has ended leaves its place (at once if it ended before `fork` returned)
    fiber.addObserver(() => {
      if (this.refresherFiber === fiber) this.refresherFiber = undefined
    })
  }

  stopRefresher(): void {
    const fiber = this.refresherFiber
    this.refresherFiber = undefined
    fiber?.unsafeInterruptAsFork(FiberId.none)
  }
}

const run = (engine: Model.Engine, runner: Runner, command: Machine.Command): Effect.Effect<void> => {
  switch (command._tag) {
    case "StartFlight":
      return startFlight(engine, command.flight)
    case "TimeOut":
      return timeOut(engine, command.flight)
    case "StartRefresher":
      return Effect.sync(() => runner.startRefresher(refresher(engine, command.entry)))
    case "StopRefresher":
      return Effect.sync(() => runner.stopRefresher())
    case "Publish":
      return engine.events.publish(command.event)
  }
}

/** @internal */
export const make = (
  protocol: TokenProtocol.TokenProtocol,
  settings: Settings,
  coordinator: SharedToken.Coordinator | undefined
): Effect.Effect<HosecloudAuth.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const timers = Option.getOrUndefined(yield* Effect.serviceOption(Timers.SharedTimers)) ?? (yield* Timers.make)
    const runner = new Runner(timers)
    const state = new StateRef(
      Machine.initial(RefreshSchedule.start(settings.refreshSchedule)),
      scope,
      (next) => runner.arm(Machine.wakeAt(next))
    )
    const engine: Model.Engine = {
      protocol,
      settings,
      state,
      events: new Events(scope),
      scope,
      flightPermits: Option.getOrUndefined(yield* Effect.serviceOption(FlightPermits)),
      coordinator,
      timers,
      apply: (transition) =>
        Effect.uninterruptible(Effect.clockWith((clock) =>
          Effect.flatMap(
            state.modify((s) => {
              const next = transition(s, Timers.monotonicMillis(clock))
              return [next, next.state]
            }),
            (next) =>
              next.commands.length === 0
                ? Effect.succeed(next.reply)
                : Effect.as(Effect.forEach(next.commands, (command) => run(engine, runner, command), { discard: true }), next.reply)
          )
        ))
    }
    runner.engine = engine
    // one finalizer, built when it runs: the machine closes (from here on nothing is served or started),
    // which stops the refresher and drops the wake-up. Flights, forked into the scope, are interrupted by the
    // scope itself. (`Scope.addFinalizer`: `Effect.addFinalizer` would keep a copy of this fiber's references)
    yield* Scope.addFinalizer(scope, Effect.suspend(() => engine.apply(Machine.close)))
    return service(engine)
  })

const service = (engine: Model.Engine): HosecloudAuth.Service => {
  const { state } = engine

  const token: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.clockWith((clock) =>
    Effect.flatMap(state.get, (s) =>
      (s._tag === "Complete" || s._tag === "Refreshing") && Timers.monotonicMillis(clock) < s.entry.expiresAt
        ? s.entry.served
        : awaitToken(engine, false))
  )

  const refresh: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.suspend(() =>
    awaitToken(engine, true)
  )

  const interval = Duration.toMillis(engine.settings.invalidationInterval)
  const invalidate = (token: AccessToken.AccessToken): Effect.Effect<void> =>
    Effect.flatMap(engine.apply((s, now) => Machine.refuse(s, now, token, interval)), (done) => {
      switch (done) {
        case "replaced":
          return Effect.void
        case "kept":
          return Effect.logWarning(
            "Hosecloud refused the access token, which replaced a refused one moments ago: this one is kept"
          ).pipe(Effect.annotateLogs({ corpId: token.corpId, invalidationInterval: Duration.format(interval) }))
        case "dropped":
          return Effect.zipRight(
            Effect.logDebug("Hosecloud access token invalidated").pipe(Effect.annotateLogs({ corpId: token.corpId })),
            engine.coordinator === undefined ? Effect.void : engine.coordinator.invalidate(token)
          )
      }
    })

  const current = Effect.clockWith((clock) =>
    Effect.map(
      state.get,
      (s) => Option.map(Option.fromNullable(Machine.validEntry(s, Timers.monotonicMillis(clock))), (e) => e.token)
    )
  )

  // each token the Ref holds from now on: the one held when a subscriber starts is not new to it. Both
  // streams are built when run, not here: a registry holds thousands of engines nobody subscribes to
  const changes = Stream.suspend(() =>
    state.changes().pipe(
      Stream.map((s) => Machine.heldEntry(s)?.token),
      Stream.changesWith((a, b) => a === b),
      Stream.drop(1),
      Stream.filter((token): token is AccessToken.AccessToken => token !== undefined)
    )
  )

  const events = Stream.suspend(() => engine.events.stream())

  return { token, refresh, invalidate, current, changes, events }
}
