// The shared runner of pnpm bench: variants measured in interleaved rounds (their order rotated every
// round, after a warm-up, so that what the machine does meanwhile falls on all of them), the medians and
// spreads of their ratios, and the rows every family of benchmarks adds to the report.
import { Effect } from "effect"
import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** The heap in use after two full collections, in bytes. */
export const heap = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

export const rounds = 8

const sorted = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
export const median = (xs: ReadonlyArray<number>): number => {
  const s = sorted(xs)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
export const percentile = (xs: ReadonlyArray<number>, p: number): number => {
  const s = sorted(xs)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]
}
export const fmt = (n: number, digits = 3): string => n.toFixed(digits)
export const spreadOf = (ratios: ReadonlyArray<number>): string =>
  `${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))}`

export interface Row {
  readonly name: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: number
  /** The per-round ratios' min–max, or a dash for a single measure. */
  readonly spread: string
  readonly target: string
  readonly met: boolean
  /** Where the time goes, by measurement, when the target is missed. */
  readonly why?: string | undefined
}

/** What a family of benchmarks found: its rows, and anything more it has to say. */
export interface Findings {
  readonly rows: Array<Row>
  readonly notes: Array<string>
  /** Further sections of the report (markdown lines). */
  readonly sections: Array<ReadonlyArray<string>>
}

export const findings = (): Findings => ({ rows: [], notes: [], sections: [] })

export const log = (line: string) => Effect.sync(() => console.log(line))

/**
 * Each variant measured `rounds` times, after one warm-up each; round `r` starts with variant `r` (mod their
 * number) and goes on in order. Answers every variant's measures, round by round.
 */
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
    const names = Object.keys(variants) as Array<keyof V>
    if (options.warmUp !== false) for (const name of names) yield* variants[name]
    const measures = Object.fromEntries(names.map((name) => [name, []])) as unknown as {
      [K in keyof V]: Array<Effect.Effect.Success<V[K]>>
    }
    const count = options.rounds ?? rounds
    for (let round = 0; round < count; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(round + i) % names.length]
        measures[name].push(yield* variants[name])
      }
    }
    return measures
  })

/** Per-round ratios of `figure` over `baseline`. */
export const ratiosOf = (figure: ReadonlyArray<number>, baseline: ReadonlyArray<number>): Array<number> =>
  figure.map((f, i) => f / baseline[i])

/** A row comparing two series of the same rounds, by the median of the per-round ratios. */
export const compareRow = (options: {
  readonly name: string
  readonly figure: ReadonlyArray<number>
  readonly baseline: ReadonlyArray<number>
  readonly unit: (n: number) => string
  readonly target: string
  readonly met: (ratio: number) => boolean
}): Row => {
  const ratios = ratiosOf(options.figure, options.baseline)
  const ratio = median(ratios)
  return {
    name: options.name,
    figure: options.unit(median(options.figure)),
    baseline: options.unit(median(options.baseline)),
    ratio,
    spread: spreadOf(ratios),
    target: options.target,
    met: options.met(ratio)
  }
}

/** The CPU time this process has used (all its threads: the collector's too), in microseconds. */
export const cpuNow = (): number => {
  const { system, user } = process.cpuUsage()
  return user + system
}

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
