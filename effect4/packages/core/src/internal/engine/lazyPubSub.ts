/**
 * An unbounded `PubSub` made when the first subscriber comes, and shut down with `scope`: what an engine
 * publishes (its events, its state's changes) before anyone subscribes is lost either way, and a registry
 * holds thousands of engines that nobody watches. Offering before then costs nothing, and so does the
 * value itself: two fields, its methods on the prototype.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"

/** @internal */
export class LazyPubSub<A> {
  private hub: PubSub.PubSub<A> | undefined = undefined

  constructor(private readonly scope: Scope.Scope) {}

  /** The `PubSub`, made on the first call. */
  get(): Effect.Effect<PubSub.PubSub<A>> {
    return Effect.suspend(() =>
      this.hub !== undefined ? Effect.succeed(this.hub) : Effect.flatMap(PubSub.unbounded<A>(), (made) => {
        // another subscriber may have made one meanwhile: there is one PubSub
        if (this.hub !== undefined) return Effect.as(PubSub.shutdown(made), this.hub)
        this.hub = made
        return Effect.as(Scope.addFinalizer(this.scope, PubSub.shutdown(made)), made)
      })
    )
  }

  /** Offers `a` to the subscribers, at once; nothing before the first one, nor after the shutdown. */
  unsafeOffer(a: A): void {
    // an unbounded PubSub takes every offer; a shut-down one refuses it (false), with nobody left to tell
    if (this.hub !== undefined) PubSub.publishUnsafe(this.hub, a)
  }
}
