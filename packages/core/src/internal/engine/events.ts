/**
 * The engine's events (`HosecloudAuth.events`), on a `PubSub` made when the first subscriber comes
 * (`lazyPubSub.ts`).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as LazyPubSub from "./lazyPubSub.js"
import type { AuthEvent } from "./model.js"

/** @internal */
export interface Events {
  readonly publish: (event: AuthEvent) => Effect.Effect<void>
  /** Every event from the moment the stream starts; it ends when the engine's scope closes. */
  readonly stream: Stream.Stream<AuthEvent>
}

/** Events whose `PubSub`, once made, is shut down with `scope`. @internal */
export const make = (scope: Scope.Scope): Events => {
  const hub = LazyPubSub.make<AuthEvent>(scope)
  return {
    publish: (event) => Effect.sync(() => hub.unsafeOffer(event)),
    stream: Stream.unwrap(Effect.map(hub.get, (pubsub) => Stream.fromPubSub(pubsub)))
  }
}
