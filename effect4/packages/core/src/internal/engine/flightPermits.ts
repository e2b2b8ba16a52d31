/**
 * A bound shared by many engines on how many flights run at once: Effect's `Semaphore`, which on Effect 4
 * wakes only as many waiters as there are permits free, and loses no permit to an interrupted waiter.
 * `TenantRegistry` provides one to every tenant it builds, so that thousands of tenants starting together
 * queue for their token requests instead of opening thousands of connections at once. A flight waits for a
 * permit before its work starts, so a caller's `waitTimeout` counts from the moment its flight runs.
 *
 * When the owner closes, `shutdown` ends every wait: a flight still waiting, or handed a permit from then
 * on, is interrupted instead of sending a request nobody will read.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Semaphore from "effect/Semaphore"

/** @internal */
export interface Permits {
  /** Runs `self` holding one permit, after waiting for one in turn. */
  readonly withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Interrupts every flight still waiting, and runs none again: for when the owner closes. */
  readonly shutdown: Effect.Effect<void>
}

/** @internal */
export class FlightPermits extends Context.Service<FlightPermits, Permits>()("@effect-hosecloud/core/internal/FlightPermits") {}

/** `count` permits, handed out in the order they are asked for. @internal */
export const make = (count: number): Effect.Effect<Permits> =>
  Effect.sync(() => {
    const semaphore = Semaphore.makeUnsafe(count)
    let shut = false
    const unlessShut = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.suspend(() => shut ? Effect.interrupt : self)
    return {
      withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) => unlessShut(semaphore.withPermit(unlessShut(self))),
      // every waiter gets through the semaphore at once, and finds it shut
      shutdown: Effect.suspend(() => {
        shut = true
        return semaphore.resize(Number.MAX_SAFE_INTEGER)
      })
    }
  })
