import { Effect, type Exit, type Fiber, Option } from "effect"

/** The fiber's exit if it has ended, without waiting (what `Fiber.poll` answered in Effect 3). */
export const poll = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<Option.Option<Exit.Exit<A, E>>> =>
  Effect.sync(() => Option.fromUndefinedOr(fiber.pollUnsafe()))

/** Asks the fiber to stop, without waiting for it (what `Fiber.interruptFork` did in Effect 3). */
export const interruptFork = <A, E>(fiber: Fiber.Fiber<A, E>): Effect.Effect<void> =>
  Effect.sync(() => fiber.interruptUnsafe())
