/**
 * Stands in for Effect's `RcMap`, whose idle-time fiber per entry cost 13 KiB on effect 3.22.4 (the
 * registry's heap per active tenant went from 32 to 6.7 KiB with the timers, `pnpm bench`).
 *
 * The tenants of a `TenantRegistry`: what `RcMap` does (a value per key, built on first use, shared while
 * in use, released after an idle time), with the idle time waited out as a wake-up on the registry's
 * timers (`engine/timers.ts`) instead of a fiber per entry, and a plain scope per entry.
 *
 * The first caller builds the entry, uninterruptibly; everyone else awaits it. However the building ends,
 * its `Exit` settles it: a value is shared; a failure, a defect or an interruption is passed to every
 * waiter and the entry leaves the pool, its scope closed, so the next caller builds afresh. Closing the
 * pool's scope closes every entry's, and a caller after that is interrupted.
 *
 * An entry whose idle time is over is removed in a fiber of the timers' runtime; that fiber looks again
 * (as `RcMap` does in the fiber that expires an entry), so an entry a caller took in between is kept.
 *
 * @internal
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as Timers from "./engine/timers.js"

/** @internal */
export interface TenantPool<K, A, E> {
  /** The value of `key`, held for the scope and, after it, for the idle time. */
  readonly get: (key: K) => Effect.Effect<A, E, Scope.Scope>
  /** How many entries are held (in use, or idle and not yet released). */
  readonly size: Effect.Effect<number>
}

class Entry<K, A, E> implements Timers.Task {
  /** Awaited while the value is built; then dropped for `outcome` (a `Deferred` costs more than its value). */
  building: Deferred.Deferred<A, E> | undefined = Deferred.makeUnsafe<A, E>()
  outcome: Exit.Exit<A, E> | undefined = undefined
  refs = 1
  idle: Timers.Wakeup | undefined = undefined
  /** Out of the pool, its scope closed: a share given back to it leaves nothing to release. */
  removed = false
  constructor(
    readonly key: K,
    readonly scope: Scope.Closeable,
    /** The pool's one function for an entry whose idle time is over. */
    private readonly expire: (entry: Entry<K, A, E>) => void
  ) {}

  /** The idle time is over. @internal */
  wake(): void {
    this.idle = undefined
    if (this.refs === 0) this.expire(this)
  }
}

/** @internal */
export const make = <K, A, E>(options: {
  readonly lookup: (key: K) => Effect.Effect<A, E, Scope.Scope>
  /** A string that keys of the same entry share (keys with the same one are told apart by `equals`). */
  readonly idOf: (key: K) => string
  readonly equals: (self: K, that: K) => boolean
  readonly idleTimeToLive: Duration.Duration
  readonly timers: Timers.Timers
}): Effect.Effect<TenantPool<K, A, E>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { equals, idOf, idleTimeToLive, lookup, timers } = options
    const idleMillis = Duration.toMillis(idleTimeToLive)
    // a plain `Map` by id, a short list (almost always of one) under each: no hash cached per key
    const entries = new Map<string, Array<Entry<K, A, E>>>()
    let size = 0
    let closed = false

    const find = (key: K): Entry<K, A, E> | undefined => entries.get(idOf(key))?.find((entry) => equals(entry.key, key))

    /** Takes `entry` out of the pool (if it is still there) and closes its scope. */
    const remove = (entry: Entry<K, A, E>, exit: Exit.Exit<unknown, unknown>) =>
      Effect.suspend(() => {
        const id = idOf(entry.key)
        const list = entries.get(id)
        const at = list === undefined ? -1 : list.indexOf(entry)
        entry.removed = true
        if (at >= 0) {
          size--
          if (list!.length === 1) entries.delete(id)
          else list!.splice(at, 1)
        }
        entry.idle?.cancel()
        entry.idle = undefined
        return Scope.close(entry.scope, exit)
      })

    // still unused and not waiting for a later idle time once the fiber runs: else a caller took it meanwhile
    const expire = (entry: Entry<K, A, E>) => {
      timers.fork(Effect.suspend(() => entry.refs === 0 && entry.idle === undefined && !entry.removed ? remove(entry, Exit.void) : Effect.void))
    }

    const release = (entry: Entry<K, A, E>): Effect.Effect<void> =>
      Effect.clockWith((clock) =>
        Effect.suspend(() => {
          entry.refs--
          if (entry.refs > 0 || closed || entry.removed) return Effect.void
          if (idleMillis <= 0) return remove(entry, Exit.void)
          entry.idle = timers.at(Timers.monotonicMillis(clock) + idleMillis, entry)
          return Effect.void
        })
      )

    const settle = (entry: Entry<K, A, E>, exit: Exit.Exit<A, E>) =>
      Effect.suspend(() => {
        const building = entry.building!
        entry.outcome = exit
        entry.building = undefined
        return Deferred.done(building, exit)
      })

    /** The value of `entry`, once built. */
    const valueOf = (entry: Entry<K, A, E>): Effect.Effect<A, E> =>
      Effect.suspend(() => entry.outcome ?? Deferred.await(entry.building!))

    /** Builds `entry` in the calling fiber, and settles it with the outcome. */
    const build = (entry: Entry<K, A, E>): Effect.Effect<void> =>
      Effect.flatMap(Effect.exit(Scope.provide(lookup(entry.key), entry.scope)), (exit) =>
        Exit.isSuccess(exit)
          ? settle(entry, exit)
          : Effect.andThen(remove(entry, exit), settle(entry, exit)))

    /** Takes a share of the entry of `key`, made (with `scope`, to build in) if there is none. */
    const share = (key: K, scope: Scope.Closeable | undefined) => {
      const held = find(key)
      if (held !== undefined) {
        const entry = held
        entry.refs++
        entry.idle?.cancel()
        entry.idle = undefined
        return { entry, isNew: false }
      }
      if (scope === undefined) return undefined
      const entry = new Entry<K, A, E>(key, scope, expire)
      const id = idOf(key)
      const list = entries.get(id)
      if (list === undefined) entries.set(id, [entry])
      else list.push(entry)
      size++
      return { entry, isNew: true }
    }

    const get = (key: K): Effect.Effect<A, E, Scope.Scope> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(Effect.scope, (caller) => {
          const use = (shared: { readonly entry: Entry<K, A, E>; readonly isNew: boolean }) =>
            (shared.isNew ? build(shared.entry) : Effect.void).pipe(
              Effect.andThen(Scope.addFinalizer(caller, release(shared.entry))),
              Effect.andThen(restore(valueOf(shared.entry)))
            )
          return Effect.suspend(() => {
            if (closed) return Effect.interrupt
            const shared = share(key, undefined)
            if (shared !== undefined) return use(shared)
            // a scope is made only when there is no entry, and the pool is looked at again once it is
            return Effect.flatMap(Scope.make(), (scope) =>
              Effect.suspend(() => closed ? Effect.interrupt : use(share(key, scope)!)))
          })
        })
      )

    yield* Effect.addFinalizer(() =>
      Effect.suspend(() => {
        closed = true
        const all = Array.from(entries.values()).flat().map((entry) => remove(entry, Exit.void))
        return Effect.all(all, { concurrency: "unbounded", discard: true })
      })
    )

    return { get, size: Effect.sync(() => size) }
  })
