/**
 * Stands in for Effect's `Semaphore`, which on effect 3.22.4 wakes every waiter on each release (2,000
 * waiters on 64 permits: 1.5 s and about 216 MB of garbage, growing with the square of the waiters); here
 * a permit given back goes to the longest-waiting flight alone.
 *
 * A bound shared by many engines on how many flights run at once. `TenantRegistry` provides one to every
 * tenant it builds, so that thousands of tenants starting together queue for their token requests
 * instead of opening thousands of connections at once. A flight waits for a permit before its work
 * starts, so a caller's `waitTimeout` counts from the moment its flight runs.
 *
 * No permit is lost, whatever is interrupted when: a permit is handed to a waiter in the same synchronous
 * step that takes it out of the queue (`granted`), and a waiter interrupted after that gives it back; one
 * interrupted before it leaves the queue. (`Queue.take` on 3.22.4 drops the item its interrupted taker
 * was handed.)
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"

/** @internal */
export interface Permits {
  /** Runs `self` holding one permit, after waiting for one in turn. */
  readonly withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Interrupts every flight still waiting, and hands out no permit again: for when the owner closes. */
  readonly shutdown: Effect.Effect<void>
  /** Permits free now, and flights waiting: for tests. */
  readonly unsafeCounts: () => { readonly free: number; readonly waiting: number }
}

/** @internal */
export class FlightPermits extends Context.Service<FlightPermits, Permits>()("@effect-hosecloud/core/internal/FlightPermits") {}

/** One flight waiting for a permit. */
class Waiter {
  readonly ready = Deferred.makeUnsafe<void>()
  /** Handed a permit (and out of the queue). */
  granted = false
}

/** `count` permits, handed out in the order they are asked for. @internal */
export const make = (count: number): Effect.Effect<Permits> =>
  Effect.sync(() => {
    let free = count
    let shut = false
    // insertion order is the queue's order; a waiter that gives up leaves it at once
    const queue = new Set<Waiter>()

    const release = () => {
      if (shut) return
      for (const next of queue) {
        queue.delete(next)
        next.granted = true
        Deferred.doneUnsafe(next.ready, Effect.void)
        return
      }
      free++
    }

    /** A permit now (`undefined`), or a place in the queue; interrupts once shut. */
    const acquire = Effect.suspend((): Effect.Effect<Waiter | undefined> => {
      if (shut) return Effect.interrupt
      if (free > 0) {
        free--
        return Effect.succeed(undefined)
      }
      const waiter = new Waiter()
      queue.add(waiter)
      return Effect.succeed(waiter)
    })

    /** Waits for the permit the queue hands `waiter`; interrupted, it gives it back or leaves the queue. */
    const wait = (waiter: Waiter, restore: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>) =>
      Effect.onInterrupt(restore(Deferred.await(waiter.ready)), () =>
        Effect.sync(() => {
          if (waiter.granted) release()
          else queue.delete(waiter)
        }))

    return {
      withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(acquire, (waiter) =>
            Effect.andThen(
              waiter === undefined ? Effect.void : wait(waiter, restore),
              Effect.ensuring(restore(self), Effect.sync(release))
            ))
        ),
      shutdown: Effect.sync(() => {
        shut = true
        for (const waiter of queue) Deferred.doneUnsafe(waiter.ready, Effect.interrupt)
        queue.clear()
      }),
      unsafeCounts: () => ({ free, waiting: queue.size })
    }
  })
