/**
 * `refreshSchedule`, stepped as `Effect.repeat` steps it: one run for the life of the service, its state
 * kept from one step to the next, each step's input the token just obtained. Asking "when next?" is the
 * Schedule's own `step` with its `ScheduleDecision` (what Effect 4 makes public as `Schedule.toStep`);
 * this module is the only one that touches either, and nothing sleeps here: the engine's state machine
 * (`machine.ts`) keeps the answer as a deadline and its timers wake it.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"

/** Where a schedule's run is: its state between steps, or done for good. @internal */
export type Run =
  | { readonly _tag: "Running"; readonly state: unknown }
  | { readonly _tag: "Done" }

/** The run of a schedule that has not been stepped yet. @internal */
export const start = <In>(schedule: Schedule.Schedule<unknown, In>): Run => ({ _tag: "Running", state: schedule.initial })

/** @internal */
export const done: Run = { _tag: "Done" }

/** What one step decided. @internal */
export interface Step {
  /** The run after the step. */
  readonly run: Run
  /** How long after now the next recurrence is, in milliseconds (0 if at once); `undefined` once done. */
  readonly delayMillis: number | undefined
}

const finished: Step = { run: done, delayMillis: undefined }

/**
 * When next: one step of `run` with `input`, at the clock's time now, as `Effect.repeat`'s driver takes it: a
 * `Done` decision ends the run, a `Continue` one is due at the start of its intervals. A run that is
 * done stays done. A schedule that dies in its step ends its run too, and the defect is the caller's to
 * report.
 *
 * @internal
 */
export const next = <In>(
  schedule: Schedule.Schedule<unknown, In>,
  run: Run,
  input: In
): Effect.Effect<Step> => {
  if (run._tag === "Done") return Effect.succeed(finished)
  return Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.map(Effect.suspend(() => schedule.step(now, input, run.state)), ([state, _, decision]): Step =>
      ScheduleDecision.isDone(decision)
        ? finished
        : {
          run: { _tag: "Running", state },
          delayMillis: Math.max(0, Intervals.start(decision.intervals) - now)
        }))
}
