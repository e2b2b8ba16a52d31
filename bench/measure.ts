// What both lines' benchmarks share and what needs no Effect: the heap after collection, CPU time, the
// statistics of rounds, and the rows and findings every family adds to the report.
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

/** Rounds per comparison, after one warm-up each. */
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

/** The line a row was measured on. */
export type Line = "Effect 3" | "Effect 4"

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
  /** Set when both lines' rows are merged. */
  readonly line?: Line | undefined
}

/** What a family of benchmarks found: its rows, and anything more it has to say. */
export interface Findings {
  readonly rows: Array<Row>
  readonly notes: Array<string>
  /** Further sections of the report (markdown lines). */
  readonly sections: Array<ReadonlyArray<string>>
}

export const findings = (): Findings => ({ rows: [], notes: [], sections: [] })

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

/** A tenant's credentials for the heap and cold benchmarks, with the line's `Redacted.make`. */
export const tenantOf = <S>(redact: (secret: string) => S) => (i: number) => ({ appKey: `t${i}`, appSecurity: redact(`s${i}`) })

/**
 * The idle time-to-live of the heap benchmark's registry: filling 10,000 tenants takes more than 30 s on a
 * loaded machine, and a tenant released before the last one is filled would not be counted. The tenants are
 * released by closing the registry.
 */
export const tenantHeapTtl = "1 hour"

/**
 * The rows of the active-tenant heap, from KiB per tenant when all were filled (`held` of them still held
 * then) and after the registry was closed.
 */
export const tenantHeapRows = (count: number, held: number, active: number, released: number): Array<Row> => [
  {
    name: `heap per active tenant (token held, refresh scheduled), ${count.toLocaleString("en")} tenants`,
    figure: `${fmt(active, 1)} KiB, ${held.toLocaleString("en")} held when measured`,
    baseline: "(absolute)",
    ratio: active,
    spread: "—",
    target: "≤ 8 KiB, all held",
    met: active <= 8 && held === count
  },
  {
    name: `heap per tenant once the registry is closed (every tenant released), ${count.toLocaleString("en")} tenants`,
    figure: `${fmt(released, 2)} KiB`,
    baseline: `${fmt(active, 1)} KiB active`,
    ratio: released / active,
    spread: "—",
    target: "≈ 0",
    met: released / active < 0.05
  }
]

/** The body of a v3 token answer, the `issued`-th (a token of about 900 characters, valid two hours). */
export const tokenAnswer = (issued: number): string =>
  JSON.stringify({
    code: "200",
    msg: "ok",
    data: {
      corpId: `CORP${issued}`,
      accessToken: `bench-${issued}-${"x".repeat(880)}`,
      refreshToken: `refresh-${issued}`,
      expiresTime: Date.now() + 7_200_000,
      scope: "tenant"
    }
  })

/** The body of a small business answer. */
export const businessAnswer = new TextEncoder().encode("{\"value\":{\"id\":\"CORP\",\"name\":\"Bench Corporation\"}}")

/**
 * The order in which variants are measured: one warm-up each (unless `warmUp` is false), then `rounds`
 * rounds, round `r` starting with variant `r` (mod their number) and going on in order.
 */
export const schedule = <K extends string>(
  names: ReadonlyArray<K>,
  options: { readonly rounds?: number; readonly warmUp?: boolean } = {}
): Array<{ readonly name: K; readonly warmUp: boolean }> => {
  const order = options.warmUp === false ? [] : names.map((name) => ({ name, warmUp: true }))
  for (let round = 0; round < (options.rounds ?? rounds); round++) {
    for (let i = 0; i < names.length; i++) order.push({ name: names[(round + i) % names.length], warmUp: false })
  }
  return order
}

/** Prints rows on the console, one a line, `!` before a missed target. */
export const printRows = (rows: ReadonlyArray<Row>): void => {
  for (const r of rows) {
    const line = r.line === undefined ? "" : `[${r.line}] `
    console.log(`${r.met ? "  " : "! "}${line}${r.name}: ${r.figure} vs ${r.baseline} = ${r.ratio.toFixed(3)} [${r.spread}] (${r.target})`)
  }
}
