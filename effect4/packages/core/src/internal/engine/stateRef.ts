/**
 * The engine's state: a `Ref`, and the changes to it published to a `PubSub` that is made when the first
 * subscriber comes (`lazyPubSub.ts`): what a `SubscriptionRef` does, without its `PubSub` and semaphore in
 * every engine. A change is published inside the same synchronous step that makes it, so subscribers see
 * the values in the order they were set. A class: a registry holds thousands, and its methods and the
 * `changes` stream (built when asked for) cost nothing per engine.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { LazyPubSub } from "./lazyPubSub.js"

/** @internal */
export class StateRef<A> {
  private readonly ref: Ref.Ref<A>
  private readonly hub: LazyPubSub<A>
  /** `Ref.get` of the state: one effect, made with the `Ref`. */
  readonly get: Effect.Effect<A>

  /** `onChange` is told of every value set, in the same synchronous step (the engine re-arms its wake-up). */
  constructor(initial: A, scope: Scope.Scope, private readonly onChange: (a: A) => void = () => {}) {
    this.ref = Ref.makeUnsafe(initial)
    this.hub = new LazyPubSub(scope)
    this.get = Ref.get(this.ref)
  }

  modify<B>(f: (a: A) => readonly [B, A]): Effect.Effect<B> {
    return Ref.modify(this.ref, (a): [B, A] => {
      const [b, next] = f(a)
      this.onChange(next)
      this.hub.unsafeOffer(next)
      return [b, next]
    })
  }

  set(a: A): Effect.Effect<void> {
    return this.modify(() => [undefined, a])
  }

  /**
   * The value when the stream starts, then each value set after it. A value set while the stream starts
   * may come twice in a row; the stream ends when the scope closes.
   */
  changes(): Stream.Stream<A> {
    return Stream.unwrap(
      Effect.flatMap(this.hub.get(), (pubsub) =>
        Effect.flatMap(PubSub.subscribe(pubsub), (subscription) =>
          Effect.map(this.get, (current) => Stream.concat(Stream.succeed(current), Stream.fromSubscription(subscription)))))
    )
  }
}
