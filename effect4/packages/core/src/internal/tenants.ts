/**
 * The tenants of a `TenantRegistry`: a value per key, built on first use (in a fiber of its own, so a caller
 * that gives up does not cancel it for the others), shared while in use, and released once it has been idle
 * for `idleTimeToLive`. Keys are compared by Effect's structural equality: a `Redacted` secret by its value.
 *
 * A stand-in for Effect's `RcMap` (what this module was built on): `RcMap` runs each entry's build in a copy
 * of the caller's context merged with its own (which the entry's engine then keeps), and sleeps out each idle
 * entry's time in a fiber of its own. With 10,000 tenants holding tokens, those and the engines' own sleeping
 * fibers came to 4.8 of the 11.7 KiB of heap a tenant held (`DIFFERENCES.md`). Here every build runs in the
 * one context the map was made in, the entry's scope handed to `lookup`, and an idle entry's expiry is a
 * deadline among the registry's others (`engine/deadlines.ts`).
 *
 * A build that fails, dies or is interrupted reaches every caller waiting for it, and its entry is let go at
 * once, so that the next caller builds afresh. A caller's own interruption leaves the entry to the others.
 * Closing the scope closes every entry's, and a caller after that is interrupted.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as MutableHashMap from "effect/MutableHashMap"
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

interface Entry<A, E> {
  readonly result: Deferred.Deferred<A, E>
  readonly scope: Scope.Closeable
  /** The build, while it runs. */
  fiber: Fiber.Fiber<A, E> | undefined
  /** How many callers hold it. */
  holders: number
  /** Its idle expiry, armed while nobody holds it. */
  idle: Deadline | undefined
}

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
    const context = yield* Effect.context<Scope.Scope | R>()
    const fork = Effect.runForkWith(context)
    const deadlines = options.deadlines ?? new Deadlines(fork)
    const clock = yield* Effect.clockWith(Effect.succeed)
    const ttl = Duration.toMillis(options.idleTimeToLive)
    let map: MutableHashMap.MutableHashMap<K, Entry<A, E>> | undefined = MutableHashMap.empty()
    let builds = 0

    /** Stops the build if it runs and closes the entry's scope. */
    const close = (entry: Entry<A, E>): Effect.Effect<void> =>
      Effect.suspend(() => {
        entry.idle?.arm(undefined)
        const fiber = entry.fiber
        entry.fiber = undefined
        const closing = Scope.close(entry.scope, Exit.void)
        return fiber === undefined ? closing : Effect.andThen(Fiber.interrupt(fiber), closing)
      })

    const isCurrent = (key: K, entry: Entry<A, E>): boolean => {
      if (map === undefined) return false
      const held = MutableHashMap.get(map, key)
      return held._tag === "Some" && held.value === entry
    }

    /** Lets the entry go if it is still the key's. */
    const drop = (key: K, entry: Entry<A, E>): boolean => {
      if (!isCurrent(key, entry)) return false
      MutableHashMap.remove(map!, key)
      return true
    }

    const expire = (key: K, entry: Entry<A, E>): Effect.Effect<void> =>
      Effect.suspend(() => entry.holders > 0 || !drop(key, entry) ? Effect.void : close(entry))

    const release = (key: K, entry: Entry<A, E>): Effect.Effect<void> =>
      Effect.suspend(() => {
        entry.holders--
        if (entry.holders > 0) return Effect.void
        if (!isCurrent(key, entry)) {
          // let go already (a failed build, or the map closed): the last holder closes it
          return close(entry)
        }
        if (ttl <= 0) {
          drop(key, entry)
          return close(entry)
        }
        if (!Number.isFinite(ttl)) return Effect.void
        entry.idle ??= deadlines.make(expire(key, entry))
        entry.idle.arm(monotonicMillis(clock) + ttl)
        return Effect.void
      })

    const build = (key: K): Entry<A, E> => {
      const entry: Entry<A, E> = {
        result: Deferred.makeUnsafe<A, E>(),
        scope: Scope.makeUnsafe(),
        fiber: undefined,
        // the caller that builds it holds it from the start
        holders: 1,
        idle: undefined
      }
      MutableHashMap.set(map!, key, entry)
      builds++
      const fiber = fork(Effect.suspend(() => options.lookup(key, entry.scope)))
      // every exit reaches the waiters; anything but a value lets the entry go, and closes it if nobody holds it
      const done = (exit: Exit.Exit<A, E>) => {
        builds--
        if (entry.fiber === fiber) entry.fiber = undefined
        if (Exit.isFailure(exit) && drop(key, entry) && entry.holders === 0) fork(close(entry))
        Deferred.doneUnsafe(entry.result, exit)
      }
      if (fiber.pollUnsafe() === undefined) entry.fiber = fiber
      fiber.addObserver(done)
      return entry
    }

    yield* Scope.addFinalizer(
      Context.get(context, Scope.Scope),
      Effect.suspend(() => {
        const entries = map === undefined ? [] : Array.from(map, ([, entry]) => entry)
        map = undefined
        return Effect.forEach(entries, (entry) => Effect.exit(close(entry)), { discard: true }).pipe(
          // deadlines of its own are closed with it; the owner of deadlines it was given closes them
          Effect.ensuring(Effect.sync(() => options.deadlines === undefined && deadlines.close()))
        )
      })
    )

    const get = (key: K): Effect.Effect<A, E, Scope.Scope> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          if (map === undefined) return Effect.interrupt
          const held = MutableHashMap.get(map, key)
          let entry: Entry<A, E>
          if (held._tag === "Some") {
            entry = held.value
            entry.holders++
            entry.idle?.arm(undefined)
          } else {
            entry = build(key)
          }
          return Effect.andThen(
            Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, release(key, entry))),
            restore(Deferred.await(entry.result))
          )
        })
      )

    return {
      get,
      size: Effect.suspend(() => map === undefined ? Effect.interrupt : Effect.succeed(MutableHashMap.size(map))),
      deadlines,
      inspect: () => {
        const entries = map === undefined ? [] : Array.from(map, ([, entry]) => entry)
        return { entries: entries.length, builds, holders: entries.reduce((n, entry) => n + entry.holders, 0) }
      }
    }
  })
