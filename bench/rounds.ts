// The Effect 3 line's runner of pnpm bench: variants measured in interleaved rounds (their order rotated every
// round, after a warm-up, so that what the machine does meanwhile falls on all of them). The statistics and
// rows, which need no Effect, are bench/measure.ts, shared with the Effect 4 line.
import { Effect } from "effect"
import { cpuNow, heap, schedule } from "./measure.js"

export * from "./measure.js"

export const log = (line: string) => Effect.sync(() => console.log(line))

/** Each variant measured in the order of `schedule`; answers every variant's measures, round by round. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const interleave = <V extends Record<string, Effect.Effect<any, any, any>>>(
  variants: V,
  options: { readonly rounds?: number; readonly warmUp?: boolean } = {}
): Effect.Effect<
  { [K in keyof V]: Array<Effect.Effect.Success<V[K]>> },
  Effect.Effect.Error<V[keyof V]>,
  Effect.Effect.Context<V[keyof V]>
> =>
  Effect.gen(function*() {
    const measures = Object.fromEntries(Object.keys(variants).map((name) => [name, []])) as unknown as {
      [K in keyof V]: Array<Effect.Effect.Success<V[K]>>
    }
    for (const { name, warmUp } of schedule(Object.keys(variants) as Array<keyof V & string>, options)) {
      const measure = yield* variants[name]
      if (!warmUp) measures[name].push(measure)
    }
    return measures
  })

/**
 * Microseconds of CPU time per run of `effect`, `n` runs in a row, starting on a collected heap. CPU time,
 * not wall time: on a shared machine, the time another process holds the core is not counted.
 */
export const microsPer = <E, R>(effect: Effect.Effect<unknown, E, R>, n: number) =>
  Effect.gen(function*() {
    heap()
    const start = cpuNow()
    for (let i = 0; i < n; i++) yield* effect
    return (cpuNow() - start) / n
  })
