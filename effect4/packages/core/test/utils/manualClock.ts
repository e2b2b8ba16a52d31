import { type Clock, Deferred, Duration, Effect } from "effect"

/**
 * A clock moved by hand, for runs of hundreds of thousands of simulated seconds: `TestClock.adjust`
 * waits for a real timer on every call (about a millisecond), this one only lets the woken fibers run.
 */
export class ManualClock implements Clock.Clock {
  private now = 0
  private sleeps: Array<{ readonly at: number; readonly wake: Deferred.Deferred<void> }> = []

  currentTimeMillisUnsafe(): number {
    return this.now
  }
  readonly currentTimeMillis = Effect.sync(() => this.now)
  currentTimeNanosUnsafe(): bigint {
    return BigInt(Math.round(this.now * 1_000_000))
  }
  readonly currentTimeNanos = Effect.sync(() => this.currentTimeNanosUnsafe())
  monotonicTimeNanosUnsafe(): bigint {
    return this.currentTimeNanosUnsafe()
  }
  readonly monotonicTimeNanos = Effect.sync(() => this.monotonicTimeNanosUnsafe())

  sleep(duration: Duration.Duration): Effect.Effect<void> {
    return Effect.suspend(() => {
      const entry = { at: this.now + Duration.toMillis(duration), wake: Deferred.makeUnsafe<void>() }
      const index = this.sleeps.findIndex((s) => s.at > entry.at)
      this.sleeps.splice(index === -1 ? this.sleeps.length : index, 0, entry)
      return Deferred.await(entry.wake).pipe(
        Effect.onInterrupt(() => Effect.sync(() => (this.sleeps = this.sleeps.filter((s) => s !== entry))))
      )
    })
  }

  /** Moves to `at`, waking every sleeper due on the way, in order, and letting it run. */
  advanceTo(at: number): Effect.Effect<void> {
    // a due refresh goes from the timers' fiber to a refresher fiber to a flight fiber: a dozen turns of the
    // scheduler let the whole chain run before the clock moves on
    const letRun = Effect.replicateEffect(Effect.yieldNow, 12, { discard: true })
    const step: Effect.Effect<void> = Effect.suspend(() => {
      const next = this.sleeps[0]
      if (next === undefined || next.at > at) {
        this.now = Math.max(this.now, at)
        return Effect.void
      }
      this.sleeps.shift()
      this.now = Math.max(this.now, next.at)
      return Deferred.succeed(next.wake, undefined).pipe(Effect.andThen(letRun), Effect.andThen(step))
    })
    // first let whatever is runnable run at the current time
    return Effect.andThen(letRun, step)
  }

  advance(duration: Duration.Input): Effect.Effect<void> {
    return Effect.suspend(() => this.advanceTo(this.now + Duration.toMillis(duration)))
  }
}
