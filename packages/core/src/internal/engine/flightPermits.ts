/**
 * A bound shared by many engines on how many flights run at once. `TenantRegistry` provides one to
 * every tenant it builds, so that thousands of tenants starting together queue for their token
 * requests instead of opening thousands of connections at once. A flight waits for a permit before
 * its work starts, so a caller's `waitTimeout` counts from the moment its flight runs.
 *
 * The permits are the items of a `Queue`: a waiting flight is one taker, and a permit given back goes to
 * the longest-waiting one alone. (Effect's `Semaphore` wakes every waiter on each release, and the ones
 * that lose wait again: 2,000 flights on 64 permits took 28 s and a gigabyte of heap, against 0.25 s.)
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"

/** @internal */
export interface Permits {
  /** Runs `self` holding one permit, after waiting for one in turn. */
  readonly withPermit: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Interrupts every flight still waiting, and hands out no permit again: for when the owner closes. */
  readonly shutdown: Effect.Effect<void>
}

/** @internal */
export class FlightPermits extends Context.Tag("@effect-hosecloud/core/internal/FlightPermits")<FlightPermits, Permits>() {}

/** `count` permits, handed out in the order they are asked for. @internal */
export const make = (count: number): Effect.Effect<Permits> =>
  Effect.gen(function*() {
    const permits = yield* Queue.unbounded<void>()
    yield* Queue.offerAll(permits, Array.from({ length: count }, () => undefined))
    // a permit given back after the shutdown has nobody to go to
    const giveBack = Effect.flatMap(Queue.isShutdown(permits), (down) => down ? Effect.void : Queue.offer(permits, undefined))
    return {
      withPermit: (self) =>
        Effect.uninterruptibleMask((restore) =>
          Effect.zipRight(restore(Queue.take(permits)), Effect.ensuring(restore(self), giveBack))
        ),
      shutdown: Queue.shutdown(permits)
    }
  })
