/**
 * The core's option checks answer a `Result`; inside `Effect.gen` a `Result` is not yieldable, so every
 * adapter lifts its checks through this one function.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Result from "effect/Result"

/** A check as an Effect. @internal */
export const check = <A, E>(result: Result.Result<A, E>): Effect.Effect<A, E> => Effect.fromResult(result)
