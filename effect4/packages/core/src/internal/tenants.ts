/**
 * The tenants of a `TenantRegistry`, on Effect's `RcMap`: a value per key, built on first use (in a fiber of
 * its own, so a caller that gives up does not cancel it for the others), shared while in use, and released
 * once it has been idle for `idleTimeToLive`. Keys are compared by Effect's structural equality: a `Redacted`
 * secret by its value.
 *
 * The `RcMap` keeps its entries for ever (an infinite idle time): an entry nobody holds any more (the map's own
 * count of holders) gets a deadline among the registry's (`engine/deadlines.ts`), and is invalidated when it
 * comes due, instead of `RcMap`'s fiber asleep per idle entry. Every build runs in the one context the map was
 * made in (not `RcMap`'s copy of the caller's, which the tenant's fibers would keep), the entry's scope handed
 * to `lookup`. With 10,000 tenants holding tokens, the idle fibers, the engines' own sleeping fibers and the
 * copied contexts came to 4.6 of the 11.7 KiB of heap a tenant held (`DIFFERENCES.md`).
 *
 * A build that fails or dies reaches every caller waiting for it, and its entry is let go, so that the next
 * caller builds afresh (`RcMap` itself lets go of an interrupted one). Closing the scope closes every entry's,
 * and a caller after that is interrupted.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as MutableHashMap from "effect/MutableHashMap"
import * as RcMap from "effect/RcMap"
import * as Scope from "effect/Scope"
import { type Deadline, Deadlines } from "./engine/deadlines.js"
import { monotonicMillis } from "./engine/wakeup.js"

/** @internal */
export interface Tenants<K, A, E> {
  /** The value of `key`, held for the scope and, after it, for the idle time. */
  readonly get: (key: K) => Effect.Effect<A, E, Scope.Scope>
  /** How many entries are held (in use, or idle and not yet released). */
  readonly size: Effect.Effect<number>
  /** The deadlines of the idle entries (and of whatever else `make` was given them for). */
  readonly deadlines: Deadlines
  /** What is held now: entries in the map, builds running, holders of the entries in the map. */
  readonly inspect: () => { readonly entries: number; readonly builds: number; readonly holders: number }
}

type Entry<A, E> = RcMap.State.Entry<A, E>

/**
 * `lookup` builds the value of a key in the entry's scope; it runs in the context `make` runs in.
 * `deadlines`, if given, keeps the idle entries' expiries; otherwise a set of deadlines of its own.
 *
 * @internal
 */
export const make = <K, A, E, R = never>(options: {
  readonly lookup: (key: K, scope: Scope.Scope) => Effect.Effect<A, E, R>
  readonly idleTimeToLive: Duration.Duration
  readonly deadlines?: Deadlines | undefined
}): Effect.Effect<Tenants<K, A, E>, never, Scope.Scope | R> =>
  Effect.gen(function*() {
    const context: Context.Context<Scope.Scope | R> = yield* Effect.context<Scope.Scope | R>()
    const own = options.deadlines === undefined
    const deadlines = options.deadlines ?? new Deadlines(Effect.runForkWith(context))
    if (own) yield* Effect.addFinalizer(() => Effect.sync(() => deadlines.close()))
    const clock = yield* Effect.clockWith(Effect.succeed)
    const ttl = Duration.toMillis(options.idleTimeToLive)
    let builds = 0
    const map = yield* RcMap.make({
      lookup: (key: K): Effect.Effect<A, E, Scope.Scope> =>
        Effect.flatMap(Effect.scope, (scope) =>
          Effect.suspend(() => {
            builds++
            // the map's own context, the very one: not the copy `RcMap` made of the caller's
            return Effect.updateContext<A, E, R, never>(options.lookup(key, scope), () => context as Context.Context<R>)
          }).pipe(Effect.ensuring(Effect.sync(() => builds--)))),
      idleTimeToLive: ttl <= 0 ? Duration.zero : Duration.infinity
    })
    // the idle expiry of each entry, made the first time it is idle
    const idle = new WeakMap<Entry<A, E>, Deadline>()

    const current = (key: K): Entry<A, E> | undefined => {
      if (map.state._tag === "Closed") return undefined
      const held = MutableHashMap.get(map.state.map, key)
      return held._tag === "Some" ? held.value : undefined
    }

    const expire = (key: K, entry: Entry<A, E>): Effect.Effect<void> =>
      Effect.suspend(() => current(key) !== entry || entry.refCount > 0 ? Effect.void : RcMap.invalidate(map, key))

    /** After `RcMap`'s own release: an entry nobody holds waits out its idle time. */
    const released = (key: K): Effect.Effect<void> =>
      Effect.sync(() => {
        const entry = current(key)
        if (entry === undefined || entry.refCount > 0 || !Number.isFinite(ttl) || ttl <= 0) return
        let deadline = idle.get(entry)
        if (deadline === undefined) {
          deadline = deadlines.make(expire(key, entry))
          idle.set(entry, deadline)
        }
        deadline.arm(monotonicMillis(clock) + ttl)
      })

    const get = (key: K): Effect.Effect<A, E, Scope.Scope> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.scope, (scope) => {
          const entry = current(key)
          if (entry !== undefined) idle.get(entry)?.arm(undefined)
          // added before `RcMap.get` adds its release: it runs after it, when the count is down
          return Effect.andThen(
            Scope.addFinalizer(scope, released(key)),
            restore(RcMap.get(map, key)).pipe(
              // the caller's own interruption leaves the entry to the others
              Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : RcMap.invalidate(map, key))
            )
          )
        })
      )

    return {
      get,
      size: Effect.map(RcMap.keys(map), (keys) => Array.from(keys).length),
      deadlines,
      inspect: () => {
        const entries = map.state._tag === "Closed" ? [] : Array.from(map.state.map, ([, entry]) => entry)
        return { entries: entries.length, builds, holders: entries.reduce((n, entry) => n + entry.refCount, 0) }
      }
    }
  })
