/**
 * An unbounded `PubSub` made when the first subscriber comes, and shut down with `scope`: what an engine
 * publishes (its events, its state's changes) before anyone subscribes is lost either way, and a registry
 * holds thousands of engines that nobody watches. Offering before then costs nothing.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"

/** @internal */
export interface LazyPubSub<A> {
  /** The `PubSub`, made on the first call. */
  readonly get: Effect.Effect<PubSub.PubSub<A>>
  /** Offers `a` to the subscribers, at once; nothing before the first one, nor after the shutdown. */
  readonly unsafeOffer: (a: A) => void
}

/** @internal */
export const make = <A>(scope: Scope.Scope): LazyPubSub<A> => {
  let hub: PubSub.PubSub<A> | undefined
  return {
    get: Effect.suspend(() =>
      hub !== undefined ? Effect.succeed(hub) : Effect.flatMap(PubSub.unbounded<A>(), (made) => {
        // another subscriber may have made one meanwhile: there is one PubSub
        if (hub !== undefined) return Effect.as(PubSub.shutdown(made), hub)
        hub = made
        return Effect.as(Scope.addFinalizer(scope, PubSub.shutdown(made)), made)
      })
    ),
    // an unbounded PubSub takes every offer; a shut-down one refuses it (false), with nobody left to tell
    unsafeOffer: (a) => void hub?.unsafeOffer(a)
  }
}
