// The Effect 4 line's runner of pnpm bench: the variants of a comparison run in the order bench/measure.ts
// gives (interleaved rounds after a warm-up), on Effect 4; and a family's log line.
import { Effect } from "effect"
import { cpuNow, heap, schedule } from "../../bench/measure.js"

export * from "../../bench/measure.js"

export const log = (line: string) => Effect.sync(() => console.log(line))

/** Each variant measured in the order of `schedule`; answers every variant's measures, round by round. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const interleave = <V extends Record<string, Effect.Effect<any, any, any>>>(
  variants: V,
  options: { readonly rounds?: number; readonly warmUp?: boolean } = {}
): Effect.Effect<
  { [K in keyof V]: Array<Effect.Success<V[K]>> },
  Effect.Error<V[keyof V]>,
  Effect.Services<V[keyof V]>
> =>
  Effect.gen(function*() {
    const measures = Object.fromEntries(Object.keys(variants).map((name) => [name, []])) as unknown as {
      [K in keyof V]: Array<Effect.Success<V[K]>>
    }
    for (const { name, warmUp } of schedule(Object.keys(variants) as Array<keyof V & string>, options)) {
      const measure = yield* variants[name]
      if (!warmUp) measures[name].push(measure)
    }
    return measures
  })

/** Microseconds of CPU time per run of `effect`, `n` runs in a row, starting on a collected heap. */
export const microsPer = <E, R>(effect: Effect.Effect<unknown, E, R>, n: number) =>
  Effect.gen(function*() {
    heap()
    const start = cpuNow()
    for (let i = 0; i < n; i++) yield* effect
    return (cpuNow() - start) / n
  })
