/**
 * The engine's events (`HosecloudAuth.events`). Their `PubSub` is made when the first subscriber comes:
 * an event nobody subscribed to is lost either way, and a registry holds thousands of engines that nobody
 * watches. Publishing before then costs nothing.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { AuthEvent } from "./model.js"

/** @internal */
export interface Events {
  readonly publish: (event: AuthEvent) => Effect.Effect<void>
  /** Every event from the moment the stream starts; it ends when the engine's scope closes. */
  readonly stream: Stream.Stream<AuthEvent>
}

/** Events whose `PubSub`, once made, is shut down with `scope`. @internal */
export const make = (scope: Scope.Scope): Events => {
  let hub: PubSub.PubSub<AuthEvent> | undefined
  const hubOf: Effect.Effect<PubSub.PubSub<AuthEvent>> = Effect.suspend(() =>
    hub !== undefined ? Effect.succeed(hub) : Effect.flatMap(PubSub.unbounded<AuthEvent>(), (made) => {
      // another subscriber may have made one meanwhile: there is one PubSub per engine
      if (hub !== undefined) return Effect.as(PubSub.shutdown(made), hub)
      hub = made
      return Effect.as(Scope.addFinalizer(scope, PubSub.shutdown(made)), made)
    })
  )
  return {
    // nothing to publish to before the first subscriber, nor once the engine has closed
    publish: (event) =>
      Effect.suspend(() => {
        const current = hub
        if (current === undefined) return Effect.void
        return Effect.flatMap(PubSub.isShutdown(current), (down) => down ? Effect.void : Effect.asVoid(PubSub.publish(current, event)))
      }),
    stream: Stream.unwrap(Effect.map(hubOf, (pubsub) => Stream.fromPubSub(pubsub)))
  }
}
