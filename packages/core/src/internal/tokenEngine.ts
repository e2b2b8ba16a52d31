/**
 * The token engine behind `HosecloudAuth`: the token held in a `Ref` whose changes are published
 * (`engine/stateRef.ts`), single flight through a `Deferred` in that state (`engine/flight.ts`), one
 * refresher per token run by a `Schedule`, waiting for its time as a wake-up rather than a fiber
 * (`engine/refresher.ts`), retries through `Effect.retry` (`engine/retries.ts`).
 *
 * The hot path, `token` with a valid token held, reads the clock and the Ref and returns the `Exit`
 * built when the token arrived: no fiber, no lock, no allocation.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as AccessToken from "../AccessToken.js"
import type * as AuthError from "../AuthError.js"
import type * as HosecloudAuth from "../HosecloudAuth.js"
import type * as TokenProtocol from "../TokenProtocol.js"
import { Events } from "./engine/events.js"
import { awaitToken } from "./engine/flight.js"
import { FlightPermits } from "./engine/flightPermits.js"
import * as Model from "./engine/model.js"
import { refresherFor } from "./engine/refresher.js"
import * as RefresherSlot from "./engine/refresherSlot.js"
import { StateRef } from "./engine/stateRef.js"
import type * as SharedToken from "./sharedToken.js"

/** @internal */
export type AuthEvent = Model.AuthEvent

/** @internal */
export type Settings = Model.Settings

/** @internal */
export const make = (
  protocol: TokenProtocol.TokenProtocol,
  settings: Settings,
  coordinator: SharedToken.Coordinator | undefined
): Effect.Effect<HosecloudAuth.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const state = new StateRef(Model.initial, scope)
    const refresher = yield* RefresherSlot.make
    // one finalizer, built when it runs: the state is closed (from here on nothing is served or started),
    // then the refresher is stopped. Flights, forked into the scope, are interrupted by the scope itself.
    // (`Scope.addFinalizer`: `Effect.addFinalizer` would keep a copy of this fiber's references per engine)
    yield* Scope.addFinalizer(scope, Effect.suspend(() => Effect.zipRight(state.set(Model.closed), refresher.close())))
    const engine: Model.Engine = {
      protocol,
      settings,
      state,
      events: new Events(scope),
      scope,
      flightPermits: Option.getOrUndefined(yield* Effect.serviceOption(FlightPermits)),
      stopRefresher: refresher.stop,
      startRefresher: (entry) => refresher.start(refresherFor(engine, entry)),
      coordinator
    }
    return service(engine)
  })

const service = (engine: Model.Engine): HosecloudAuth.Service => {
  const { state } = engine

  /** No valid token: a refusal still cooling down, or the flight. */
  const slowToken = (now: number, s: Model.State, refreshing: boolean) => {
    if (s.closed) return Effect.interrupt
    if (!refreshing) {
      const entry = Model.validEntry(s, now)
      if (entry !== undefined) return entry.served
    }
    if (s.refusal !== undefined && now < s.refusal.until) return s.refusal.failed
    return awaitToken(engine)
  }

  const token: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.clockWith((clock) =>
    Effect.flatMap(state.get, (s) => {
      const now = clock.unsafeCurrentTimeMillis()
      return s.entry !== undefined && now < s.entry.expiresAt ? s.entry.served : slowToken(now, s, false)
    })
  )

  const refresh: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.clockWith((clock) =>
    Effect.flatMap(state.get, (s) => slowToken(clock.unsafeCurrentTimeMillis(), s, true))
  )

  const interval = Duration.toMillis(engine.settings.invalidationInterval)
  const invalidate = (token: AccessToken.AccessToken): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatMap(state.modify((s) => Model.invalidate(s, token, now, interval)), (done) => {
        switch (done) {
          case "replaced":
            return Effect.void
          case "kept":
            return Effect.logWarning(
              "Hosecloud refused the access token, but one was replaced moments ago: this one is kept"
            ).pipe(Effect.annotateLogs({ corpId: token.corpId, invalidationInterval: Duration.format(interval) }))
          case "dropped":
            return Effect.all([
              Effect.logDebug("Hosecloud access token invalidated").pipe(Effect.annotateLogs({ corpId: token.corpId })),
              engine.stopRefresher,
              engine.coordinator === undefined ? Effect.void : engine.coordinator.invalidate(token)
            ], { discard: true })
        }
      }))

  const current = Effect.clockWith((clock) =>
    Effect.map(state.get, (s) => Option.map(Option.fromNullable(Model.validEntry(s, clock.unsafeCurrentTimeMillis())), (e) => e.token))
  )

  // each token the Ref holds from now on: the one held when a subscriber starts is not new to it. Both
  // streams are built when run, not here: a registry holds thousands of engines nobody subscribes to
  const changes = Stream.suspend(() =>
    state.changes().pipe(
      Stream.map((s) => s.entry?.token),
      Stream.changesWith((a, b) => a === b),
      Stream.drop(1),
      Stream.filter((token): token is AccessToken.AccessToken => token !== undefined)
    )
  )

  const events = Stream.suspend(() => engine.events.stream())

  return { token, refresh, invalidate, current, changes, events }
}
