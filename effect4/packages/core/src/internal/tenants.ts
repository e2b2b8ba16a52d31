/**
 * The tenants of a `TenantRegistry`, on Effect's `RcMap`: a value per key, built on first use (in a fiber of
 * its own, so a caller that gives up does not cancel it for the others), shared while in use, and released
 * once it has been idle for `idleTimeToLive` (the idle entry's fiber sleeps that time out). Keys are compared
 * by Effect's structural equality: a `Redacted` secret by its value.
 *
 * A build that fails or dies reaches every caller waiting for it, and its entry is let go, so that the next
 * caller builds afresh (`RcMap` itself would keep a failed entry until it had been idle). Closing the scope
 * closes every entry's, and a caller after that is interrupted.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as RcMap from "effect/RcMap"
import type * as Scope from "effect/Scope"

/** @internal */
export interface Tenants<K, A, E> {
  /** The value of `key`, held for the scope and, after it, for the idle time. */
  readonly get: (key: K) => Effect.Effect<A, E, Scope.Scope>
  /** How many entries are held (in use, or idle and not yet released). */
  readonly size: Effect.Effect<number>
}

/** @internal */
export const make = <K, A, E>(options: {
  readonly lookup: (key: K) => Effect.Effect<A, E, Scope.Scope>
  readonly idleTimeToLive: Duration.Duration
}): Effect.Effect<Tenants<K, A, E>, never, Scope.Scope> =>
  Effect.map(RcMap.make({ lookup: options.lookup, idleTimeToLive: options.idleTimeToLive }), (map) => ({
    get: (key: K) =>
      RcMap.get(map, key).pipe(
        // the caller's own interruption leaves the entry to the others
        Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : RcMap.invalidate(map, key))
      ),
    size: Effect.map(RcMap.keys(map), (keys) => Array.from(keys).length)
  }))
