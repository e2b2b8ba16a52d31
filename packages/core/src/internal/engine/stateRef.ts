/**
 * The engine's state: a `Ref`, and the changes to it published to a `PubSub` that is made when the first
 * subscriber comes (`lazyPubSub.ts`): what a `SubscriptionRef` does, without its `PubSub` and semaphore in
 * every engine. A change is published inside the same synchronous step that makes it, so subscribers
 * see the values in the order they were set.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as LazyPubSub from "./lazyPubSub.js"

/** @internal */
export interface StateRef<A> {
  readonly get: Effect.Effect<A>
  readonly modify: <B>(f: (a: A) => readonly [B, A]) => Effect.Effect<B>
  readonly set: (a: A) => Effect.Effect<void>
  /**
   * The value when the stream starts, then each value set after it. A value set while the stream starts
   * may come twice in a row; the stream ends when `scope` closes.
   */
  readonly changes: Stream.Stream<A>
}

/** @internal */
export const make = <A>(initial: A, scope: Scope.Scope): Effect.Effect<StateRef<A>> =>
  Effect.map(Ref.make(initial), (ref) => {
    const hub = LazyPubSub.make<A>(scope)
    const modify = <B>(f: (a: A) => readonly [B, A]) =>
      Ref.modify(ref, (a): [B, A] => {
        const [b, next] = f(a)
        hub.unsafeOffer(next)
        return [b, next]
      })
    return {
      get: Ref.get(ref),
      modify,
      set: (a) => modify(() => [undefined, a]),
      changes: Stream.unwrapScoped(
        Effect.flatMap(hub.get, (pubsub) =>
          Effect.flatMap(PubSub.subscribe(pubsub), (subscription) =>
            Effect.map(Ref.get(ref), (current) => Stream.concat(Stream.succeed(current), Stream.fromQueue(subscription)))))
      )
    }
  })
