/**
 * The token engine behind `HosecloudAuth`: the interpreter of its state machine (`engine/machine.ts`).
 * The state is one value in a `Ref` (`engine/stateRef.ts`, whose changes are published); a transition is
 * applied to it atomically, then its commands are run on Effect's primitives: a flight forked into the
 * service's scope (`engine/flight.ts`), the refresher forked while it works (`engine/refresher.ts`), events
 * published. The one wake-up the machine needs next (`wakeAt`) is a fiber asleep until then (`engine/wakeup.ts`),
 * or, for a registry's tenant, a deadline among the registry's (`engine/deadlines.ts`, one fiber asleep for all
 * of them), re-armed in the same synchronous step as each change, so that it always matches the state.
 *
 * The hot path, `token` with a valid token held, reads the monotonic clock and the Ref and returns the
 * `Exit` built when the token arrived: no fiber, no lock, no allocation.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
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
import { monotonicMillis, Wakeup } from "./engine/wakeup.js"
import type { Deadline, Deadlines } from "./engine/deadlines.js"
import type * as SharedToken from "./sharedToken.js"

/** @internal */
export type AuthEvent = Model.AuthEvent

/** @internal */
export type Settings = Model.Settings

/**
 * The engine's one wake-up (a fiber asleep until the machine's next deadline, or a deadline among a registry's)
 * and its one refresher fiber, both forked in the context the engine was made in, not as children of a caller.
 */
class Runner {
  private refresherFiber: Fiber.Fiber<void> | undefined = undefined
  engine: Model.Engine | undefined = undefined
  readonly wakeup: Wakeup | Deadline

  constructor(
    private readonly fork: <A, E>(effect: Effect.Effect<A, E>) => Fiber.Fiber<A, E>,
    deadlines: Deadlines | undefined
  ) {
    const wake = Effect.suspend(() => this.engine === undefined ? Effect.void : this.engine.apply(Machine.wake))
    this.wakeup = deadlines === undefined ? new Wakeup(fork, wake) : deadlines.make(wake)
  }

  /** Keeps the wake-up at `at` (none if `undefined`). */
  arm(at: number | undefined): void {
    this.wakeup.arm(at)
  }

  startRefresher(effect: Effect.Effect<void>): void {
    this.stopRefresher()
    const fiber = this.fork(effect)
    this.refresherFiber = fiber
    // a fiber that has ended leaves its place (at once if it ended before `fork` returned)
    fiber.addObserver(() => {
      if (this.refresherFiber === fiber) this.refresherFiber = undefined
    })
  }

  stopRefresher(): void {
    const fiber = this.refresherFiber
    this.refresherFiber = undefined
    fiber?.interruptUnsafe()
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
  Effect.flatMap(Effect.scope, (scope) => makeIn(protocol, settings, coordinator, scope, undefined))

/**
 * An engine in `scope`, its fibers forked in the context this runs in (kept, not copied: a registry's
 * tenants share the registry's), and its wake-up a deadline among `deadlines` if given, else a fiber of its own.
 *
 * @internal
 */
export const makeIn = (
  protocol: TokenProtocol.TokenProtocol,
  settings: Settings,
  coordinator: SharedToken.Coordinator | undefined,
  scope: Scope.Scope,
  deadlines: Deadlines | undefined
): Effect.Effect<HosecloudAuth.Service> =>
  Effect.gen(function*() {
    const runner = new Runner(Effect.runForkWith(yield* Effect.context<never>()), deadlines)
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
      apply: (transition) =>
        Effect.uninterruptible(Effect.clockWith((clock) =>
          Effect.flatMap(
            state.modify((s) => {
              const next = transition(s, monotonicMillis(clock))
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
      (s._tag === "Complete" || s._tag === "Refreshing") && monotonicMillis(clock) < s.entry.expiresAt
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
          ).pipe(Effect.annotateLogs({ corpId: token.corpId, invalidationInterval: Duration.format(Duration.millis(interval)) }))
        case "dropped":
          return Effect.andThen(
            Effect.logDebug("Hosecloud access token invalidated").pipe(Effect.annotateLogs({ corpId: token.corpId })),
            engine.coordinator === undefined ? Effect.void : engine.coordinator.invalidate(token)
          )
      }
    })

  const current = Effect.clockWith((clock) =>
    Effect.map(
      state.get,
      (s) => Option.map(Option.fromNullishOr(Machine.validEntry(s, monotonicMillis(clock))), (e) => e.token)
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
