/**
 * `refreshSchedule`, stepped as `Effect.repeat` steps it: one run for the life of the service, its state
 * kept from one step to the next, each step's input the token just obtained. Asking "when next?" is the
 * stepper `Schedule.toStep` makes for the run; this module is the only one that touches it, and nothing
 * sleeps here: the engine's state machine
 * (`machine.ts`) keeps the answer as a deadline and its wake-up (`wakeup.ts`) wakes it.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Pull from "effect/Pull"
import * as Schedule from "effect/Schedule"

/** One step of a schedule's run, as `Schedule.toStep` hands it out. @internal */
export type Stepper<In> = (now: number, input: In) => Pull.Pull<[unknown, Duration.Duration], unknown, unknown>

/**
 * Where a schedule's run is: its state between steps (opaque to the machine: here, the stepper
 * `Schedule.toStep` made for the run, which holds the schedule's own state; `undefined` before the first
 * step), or done for good.
 *
 * @internal
 */
export type Run =
  | { readonly _tag: "Running"; readonly state: unknown }
  | { readonly _tag: "Done" }

/** The run of a schedule that has not been stepped yet. @internal */
export const start = <In>(_schedule: Schedule.Schedule<unknown, In>): Run => ({ _tag: "Running", state: undefined })

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
 * step that is done (`Cause.Done`) ends the run, one that continues is due after its delay. A run that is
 * done stays done. A schedule that fails or dies in its step ends its run too, and the cause is the caller's
 * to report.
 *
 * @internal
 */
export const next = <In>(
  schedule: Schedule.Schedule<unknown, In>,
  run: Run,
  input: In
): Effect.Effect<Step> => {
  if (run._tag === "Done") return Effect.succeed(finished)
  const stepper: Effect.Effect<Stepper<In>> = typeof run.state === "function"
    ? Effect.succeed(run.state as Stepper<In>)
    : Schedule.toStep(schedule) as Effect.Effect<Stepper<In>>
  return Effect.flatMap(stepper, (step) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Pull.matchEffect(Effect.suspend(() => step(now, input)), {
        onSuccess: ([_, delay]): Effect.Effect<Step> =>
          Effect.succeed({
            run: run.state === step ? run : { _tag: "Running", state: step },
            delayMillis: Math.max(0, Duration.toMillis(delay))
          }),
        onDone: () => Effect.succeed(finished),
        // a schedule's own error (its type says it has none) is a defect here
        onFailure: (cause: Cause.Cause<unknown>) => Effect.die(Cause.squash(cause))
      })))
}
