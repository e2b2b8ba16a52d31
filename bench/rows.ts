// The rows of each family, made the same way for both lines from what each line measured (no Effect here):
// names, units, targets and the words of the report; and the parts of families that need no Effect at all
// (the hand-written cache, the start-up of executables).
import { spawnSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import * as path from "node:path"
import { compareRow, findings, type Findings, fmt, median, ratiosOf, type Row, schedule, spreadOf } from "./measure.js"

/**
 * 1. The hot path's rows from µs per read of the token, `Ref` + `Clock`, `cachedInvalidateWithTTL`, an async
 * cache. `ttlTarget`: whether the target of 1/12 of `cachedInvalidateWithTTL` applies; it was set against
 * Effect 3's, which costs some 14 µs a read. Effect 4's costs less than a `Ref.get` + `Clock` read, so there
 * it is for comparison.
 */
export const hotPathRows = (
  m: Record<"token" | "ref" | "ttl" | "async", ReadonlyArray<number>>,
  ttlTarget: boolean
): Array<Row> => {
  const unit = (n: number) => `${fmt(n)} µs/read`
  return [
    compareRow({
      name: "hot path vs Ref.get + Clock.currentTimeMillis",
      figure: m.token,
      baseline: m.ref,
      unit,
      target: "≤ 0.9",
      met: (r) => r <= 0.9
    }),
    compareRow({
      name: "hot path vs Effect.cachedInvalidateWithTTL",
      figure: m.token,
      baseline: m.ttl,
      unit,
      target: ttlTarget ? "≤ 1/12 (0.083)" : "(for comparison: Effect 4's is a cheap read)",
      met: (r) => !ttlTarget || r <= 1 / 12
    }),
    compareRow({
      name: "hot path vs a plain async function cache (awaited)",
      figure: m.token,
      baseline: m.async,
      unit,
      target: "(for comparison)",
      met: () => true
    })
  ]
}

/** 2. The in-memory client's rows, tracing on or off, from CPU µs per request of the client, the wrapper, the bare client. */
export const clientRows = (tracing: boolean, m: Record<"client" | "minimal" | "bare", ReadonlyArray<number>>): Array<Row> => {
  const unit = (n: number) => `${fmt(n, 2)} µs`
  return [
    compareRow({
      name: tracing
        ? "HosecloudClient vs a bare HttpClient with a fixed token, in memory, CPU per request"
        : "the same, tracing off in both (no span recorded)",
      figure: m.client,
      baseline: m.bare,
      unit,
      target: tracing ? "≤ 1.10" : "≤ 1.50",
      met: (r) => r <= (tracing ? 1.1 : 1.5)
    }),
    compareRow({
      name: `the minimal idiomatic wrapper (prependUrl + mapRequestEffect reading a Ref) vs the bare HttpClient, tracing ${
        tracing ? "on" : "off"
      }: the floor`,
      figure: m.minimal,
      baseline: m.bare,
      unit,
      target: "(reported)",
      met: () => true
    })
  ]
}

interface Loopback {
  readonly throughput: number
  readonly p99: number
}

/** 3. The loopback rows from each round's throughput and p99 of the client and the bare client. */
export const loopbackRows = (m: Record<"client" | "bare", ReadonlyArray<Loopback>>): Array<Row> => {
  const throughputRatios = ratiosOf(m.client.map((r) => r.throughput), m.bare.map((r) => r.throughput))
  const p99Ratios = ratiosOf(m.client.map((r) => r.p99), m.bare.map((r) => r.p99))
  const throughput = median(throughputRatios)
  const p99 = median(p99Ratios)
  const why = "The same per-request work as in memory (see above), on a loopback exchange that costs the client " +
    "process about as much CPU again; the server runs in its own process, and the two share the machine's cores."
  return [
    {
      name: "HosecloudClient vs the bare HttpClient over loopback: throughput",
      figure: `${fmt(median(m.client.map((r) => r.throughput)), 0)} req/s`,
      baseline: `${fmt(median(m.bare.map((r) => r.throughput)), 0)} req/s`,
      ratio: throughput,
      spread: spreadOf(throughputRatios),
      target: "≥ 0.97",
      met: throughput >= 0.97,
      why
    },
    {
      name: "HosecloudClient vs the bare HttpClient over loopback: p99 latency",
      figure: `${fmt(median(m.client.map((r) => r.p99)), 2)} ms`,
      baseline: `${fmt(median(m.bare.map((r) => r.p99)), 2)} ms`,
      ratio: p99,
      spread: spreadOf(p99Ratios),
      target: "≤ 1.05",
      met: p99 <= 1.05,
      why
    }
  ]
}

/** 4. The cold callers' row from ms to the last token, and the token requests each round made. */
export const coldCallersRow = (m: Record<"library" | "floor", ReadonlyArray<number>>, requests: ReadonlyArray<number>): Row => {
  const most = Math.max(...requests)
  const row = compareRow({
    name: "10,000 cold callers: time to the last token vs 10,000 fibers awaiting one Deferred after one bare request",
    figure: m.library,
    baseline: m.floor,
    unit: (n) => `${fmt(n, 1)} ms`,
    target: "≤ 1.2, and 1 request",
    met: (r) => r <= 1.2
  })
  return {
    ...row,
    figure: `${row.figure}, ${most} request(s) per round at most`,
    met: row.met && most === 1,
    why: "Wall time, with 10,000 fibers on each side: the difference is the one flight's own CPU time (the next " +
      "row but one profiles it) and each caller's wait on it, against one Deferred."
  }
}

/** 4. The kind of cache SDKs ship, an async function with a cached value and no single flight, with `callers` cold callers. */
export const handWrittenCache = async (url: string, callers: number, tokens: () => Promise<number>): Promise<Row> => {
  const before = await tokens()
  let value: { token: string; expiresAt: number } | undefined
  const fetchToken = async () => {
    const response = await fetch(`${url}/auth/openApi/v3/getAccessToken`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ appKey: "demo-app-key", appSecurity: "demo-app-security" })
    })
    const body = (await response.json()) as { data: { accessToken: string; expiresTime: number } }
    return { token: body.data.accessToken, expiresAt: body.data.expiresTime }
  }
  const getToken = async () => {
    if (value !== undefined && Date.now() < value.expiresAt - 300_000) return value.token
    value = await fetchToken()
    return value.token
  }
  const start = performance.now()
  const settled = await Promise.allSettled(Array.from({ length: callers }, () => getToken()))
  const elapsed = performance.now() - start
  const requests = (await tokens()) - before
  const failed = settled.filter((r) => r.status === "rejected").length
  return {
    name: "hand-written async cache, 10,000 cold callers: token requests made",
    figure: `${requests} requests received, ${failed} callers failed, ${fmt(elapsed, 0)} ms`,
    baseline: "1 (ideal)",
    ratio: requests,
    spread: "—",
    target: "(for comparison)",
    met: true
  }
}

/** 4b. The cold flight's row from CPU µs per flight and per bare request. */
export const coldFlightRow = (m: Record<"cold" | "bare", ReadonlyArray<number>>): Row =>
  compareRow({
    name: "a cold flight in memory vs one bare token request through the same HttpClient, same decoding (CPU)",
    figure: m.cold,
    baseline: m.bare,
    unit: (n) => `${fmt(n, 1)} µs`,
    target: "≤ 2",
    met: (r) => r <= 2
  })

/** 5. The heap of a tenant's parts and of Effect's primitives: the explanation of a missed target, and a section. */
export const partsFindings = (
  found: Findings,
  parts: ReadonlyArray<readonly [string, number]>,
  /** a paragraph under the table: what the line's registry does instead of some of these parts */
  note?: string
): void => {
  const activeRow = found.rows[0]
  if (activeRow !== undefined && !activeRow.met) {
    found.rows[0] = {
      ...activeRow,
      why: "The parts, measured in this run (heap per value, 2,000 of each): " +
        parts.map(([name, kib]) => `${name} ${fmt(kib, 2)} KiB`).join("; ") + "."
    }
  }
  found.sections.push([
    "Heap of a tenant's parts and of Effect's primitives (per value, 2,000 of each, after garbage collection):",
    "",
    "| value | heap |",
    "| --- | --- |",
    ...parts.map(([name, kib]) => `| ${name} | ${fmt(kib, 2)} KiB |`),
    ...(note === undefined ? [] : ["", note])
  ])
}

/** 6. The cold tenants' row, from each round's ms, tenants served and requests made. */
export const tenantsColdRow = (
  m: Record<"cold" | "bare", ReadonlyArray<number>>,
  outcomes: ReadonlyArray<{ readonly served: number; readonly requests: number; readonly failure?: string | undefined }>,
  count: number,
  concurrency: number
): Row => {
  const served = Math.min(...outcomes.map((o) => o.served))
  const most = Math.max(...outcomes.map((o) => o.requests))
  const row = compareRow({
    name: `5,000 tenants cold at once over loopback (TenantRegistry, concurrency ${concurrency}) vs 5,000 bare token requests at that concurrency`,
    figure: m.cold,
    baseline: m.bare,
    unit: (n) => `${fmt(n / 1000, 2)} s`,
    target: "≤ 1.5, all served, ≤ 5,050 requests",
    met: (r) => r <= 1.5
  })
  // the error of the first tenant not served, in the first round that left some unserved
  const failure = outcomes.find((o) => o.failure !== undefined)?.failure
  return {
    ...row,
    figure: `${row.figure}, ${served} served, ${most} requests at most`,
    met: row.met && served === count && most <= 5_050,
    ...(failure === undefined ? {} : { why: `A tenant not served failed with: ${failure}` })
  }
}

/**
 * 7. Start-up of `bin --help` against `node -e 0` and the smallest command-line program of the line
 * (`floorEntry`, bundled by esbuild to `floorBundle` as the executable is), each a fresh process of `node`.
 */
export const startUpFindings = async (options: {
  readonly node: string
  readonly bin: string
  readonly floorEntry: string
  readonly floorBundle: string
  readonly floorName: string
  /** The line's esbuild `build`. */
  readonly build: (options: {
    readonly entryPoints: Array<string>
    readonly outfile: string
    readonly bundle: true
    readonly platform: "node"
    readonly format: "esm"
    readonly banner: { readonly js: string }
    readonly logLevel: "warning"
  }) => Promise<unknown>
}): Promise<Findings> => {
  const found = findings()
  mkdirSync(path.dirname(options.floorBundle), { recursive: true })
  await options.build({
    entryPoints: [options.floorEntry],
    outfile: options.floorBundle,
    bundle: true,
    platform: "node",
    format: "esm",
    banner: { js: "import { createRequire as __floorRequire } from \"node:module\"\nconst require = __floorRequire(import.meta.url)" },
    logLevel: "warning"
  })
  const time = (args: ReadonlyArray<string>) => {
    const start = performance.now()
    const result = spawnSync(options.node, args, { stdio: ["ignore", "ignore", "inherit"] })
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`)
    return performance.now() - start
  }
  const variants = {
    help: [options.bin, "--help"],
    floor: [options.floorBundle, "--help"],
    empty: ["-e", "0"]
  } as const
  const m: Record<keyof typeof variants, Array<number>> = { help: [], floor: [], empty: [] }
  for (const { name, warmUp } of schedule(Object.keys(variants) as Array<keyof typeof variants>)) {
    const measure = time(variants[name])
    if (!warmUp) m[name].push(measure)
  }
  const unit = (n: number) => `${fmt(n, 0)} ms`
  const floorRow = compareRow({
    name: `the smallest ${options.floorName} program, bundled alike, vs node -e 0`,
    figure: m.floor,
    baseline: m.empty,
    unit,
    target: "(for comparison)",
    met: () => true
  })
  const help = compareRow({
    name: "hosecloud --help start-up vs node -e 0",
    figure: m.help,
    baseline: m.empty,
    unit,
    target: "≤ 3",
    met: (r) => r <= 3
  })
  found.rows.push(
    help.met ? help : {
      ...help,
      why: `The smallest ${options.floorName} program, bundled alike, takes ${floorRow.figure} (${floorRow.ratio.toFixed(2)}x): ` +
        "compiling and evaluating Effect, its command-line library and @effect/platform-node at start-up is the floor."
    },
    floorRow
  )
  return found
}
