/**
 * The place of an engine's one refresher fiber: a new token's refresher replaces the old one, and the
 * engine's scope closing interrupts it. Refreshers are forked on a runtime captured once, not from whoever
 * asked (so that fibers never descend from one another cycle after cycle, nor carry a caller's span): the
 * engine's own, or, for the tenants of a `TenantRegistry`, the registry's, which they share. A runtime
 * holds a copy of its fiber's references: one per registry instead of one per tenant.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"

/** A runtime to fork refreshers on, shared by many engines. @internal */
export class RefresherRuntime extends Context.Tag("@effect-hosecloud/core/internal/RefresherRuntime")<
  RefresherRuntime,
  Runtime.Runtime<never>
>() {}

/** @internal */
export interface RefresherSlot {
  /** Forks `refresher`, interrupting the one before it; does nothing once the scope has closed. */
  readonly start: (refresher: Effect.Effect<void>) => void
  /** Interrupts the current refresher, if any, and waits for it to stop. */
  readonly stop: Effect.Effect<void>
}

/** @internal */
export const make: Effect.Effect<RefresherSlot, never, Scope.Scope> = Effect.gen(function*() {
  const shared = yield* Effect.serviceOption(RefresherRuntime)
  const runFork = Runtime.runFork(Option.isSome(shared) ? shared.value : yield* Effect.runtime<never>())
  let current: Fiber.RuntimeFiber<void> | undefined
  let closed = false
  const take = () => {
    const fiber = current
    current = undefined
    return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
  }
  // `Scope.addFinalizer`: `Effect.addFinalizer` would keep a copy of this fiber's references per engine
  yield* Scope.addFinalizer(
    yield* Effect.scope,
    Effect.suspend(() => {
      closed = true
      return take()
    })
  )
  return {
    start: (refresher) => {
      if (closed) return
      const previous = current
      const fiber = runFork(refresher)
      current = fiber
      // a refresher that ends by itself leaves its place empty
      fiber.addObserver(() => {
        if (current === fiber) current = undefined
      })
      previous?.unsafeInterruptAsFork(FiberId.none)
    },
    stop: Effect.suspend(take)
  }
})
