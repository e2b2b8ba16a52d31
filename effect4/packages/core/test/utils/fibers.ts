import { type Duration, Effect, type Exit, type Fiber, Option } from "effect"
import * as TestClock from "effect/testing/TestClock"

/** The fiber's exit if it has ended, without waiting (what `Fiber.poll` answered in Effect 3). */
export const poll = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<Option.Option<Exit.Exit<A, E>>> =>
  Effect.sync(() => Option.fromUndefinedOr(fiber.pollUnsafe()))

/** Asks the fiber to stop, without waiting for it (what `Fiber.interruptFork` did in Effect 3). */
export const interruptFork = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<void> =>
  Effect.sync(() => fiber.interruptUnsafe())

/** One real turn of the event loop: Effect 4's scheduler resumes yielded fibers on (real) setImmediate turns. */
const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Moves the TestClock on in `steps` steps of `step` at most, until the fiber has ended. Before each step the
 * woken fibers get real turns of the event loop to run to their next sleep, so how far the clock has gone
 * does not depend on how loaded the machine is.
 */
export const adjustUntilDone = <A, E>(fiber: Fiber.Fiber<A, E>, step: Duration.Input, steps: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < steps && fiber.pollUnsafe() === undefined; i++) {
      for (let t = 0; t < 20; t++) yield* turn
      yield* TestClock.adjust(step)
    }
  })
