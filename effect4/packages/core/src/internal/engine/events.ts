/**
 * The engine's events (`HosecloudAuth.events`), on a `PubSub` made when the first subscriber comes
 * (`lazyPubSub.ts`).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { LazyPubSub } from "./lazyPubSub.js"
import type { AuthEvent } from "./model.js"

/** Events whose `PubSub`, once made, is shut down with `scope`. @internal */
export class Events {
  private readonly hub: LazyPubSub<AuthEvent>

  constructor(scope: Scope.Scope) {
    this.hub = new LazyPubSub(scope)
  }

  publish(event: AuthEvent): Effect.Effect<void> {
    return Effect.sync(() => this.hub.unsafeOffer(event))
  }

  /** Every event from the moment the stream starts; it ends when the engine's scope closes. */
  stream(): Stream.Stream<AuthEvent> {
    return Stream.unwrap(Effect.map(this.hub.get(), (pubsub) => Stream.fromPubSub(pubsub)))
  }
}
