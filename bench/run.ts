// pnpm bench: both lines in one run, one report. Every figure is measured against a baseline in the same run
// and reported as a ratio, with the absolute numbers and the spread of the per-round ratios, in BENCHMARKS.md
// and bench/ratios.svg. It reports; it never fails. It runs the built packages (dist, mapped by
// bench/tsx.tsconfig.json and effect4/bench/tsx.tsconfig.json), the code users install, not the sources.
// The Effect 3 line's families run here; the Effect 4 line's run in a process of their own on the Node of
// effect4/ (effect4/bench/run.ts), which writes its rows as JSON for this report.
//   BENCH_LINE=3 or 4           runs one line only; no report is written (it would drop the other line's rows)
//   BENCH_ONLY=client,e4:fleet  runs only those families (e4: for the Effect 4 line); no report is written
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Cause, Effect, Logger, LogLevel, type Scope } from "effect"
import { spawn } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { clientInMemory, clientOverLoopback } from "./client.js"
import { coldCallers, coldFlight } from "./cold-start.js"
import { benchServer, here, root } from "./fixtures.js"
import { fleet } from "./fleet.js"
import { hotPath } from "./hot-path.js"
import { chart, type LineRun, report, versionIn } from "./report.js"
import { type Findings, log, printRows, type Row } from "./rounds.js"
import { startUp } from "./start-up.js"
import { tenantHeap, tenantsCold } from "./tenants.js"

/** A family run, timed; a family that fails is a note in the report (the others still run). */
const section = <E, R>(name: string, family: Effect.Effect<Findings, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    const found = yield* Effect.scoped(family).pipe(
      Effect.catchAllCause((cause) => Effect.succeed<Findings>({ rows: [], notes: [`${name} failed: ${Cause.pretty(cause)}`], sections: [] }))
    )
    yield* log(`   (${((performance.now() - start) / 1000).toFixed(1)} s)`)
    return found
  })

const lineWanted = process.env["BENCH_LINE"] ?? ""
const only = (process.env["BENCH_ONLY"] ?? "").split(",").filter((name) => name !== "")
const onlyE3 = only.filter((name) => !name.startsWith("e4:"))
const onlyE4 = only.filter((name) => name.startsWith("e4:")).map((name) => name.slice(3))
const runE3 = lineWanted !== "4" && (only.length === 0 || onlyE3.length > 0)
const runE4 = lineWanted !== "3" && (only.length === 0 || onlyE4.length > 0)

const effect3 = Effect.gen(function*() {
  const started = performance.now()
  const server = yield* benchServer
  const families: ReadonlyArray<readonly [string, Effect.Effect<Findings, unknown, Scope.Scope | HttpClient.HttpClient>]> = [
    ["hot-path", hotPath(server)],
    ["client", clientInMemory],
    ["loopback", clientOverLoopback(server)],
    ["cold-callers", coldCallers(server)],
    ["cold-flight", coldFlight],
    ["tenant-heap", tenantHeap],
    ["tenants-cold", tenantsCold(server)],
    ["start-up", startUp],
    ["fleet", fleet]
  ]
  const all: Array<Findings> = []
  for (const [name, family] of families) {
    if (onlyE3.length === 0 || onlyE3.includes(name)) all.push(yield* section(name, family))
  }
  return {
    line: "Effect 3",
    findings: all,
    node: process.version,
    packages: `effect ${versionIn(root, "effect")}, @effect/platform ${versionIn(root, "@effect/platform")}, ` +
      `@effect/platform-node ${versionIn(root, "@effect/platform-node")}`,
    seconds: (performance.now() - started) / 1000
  } satisfies LineRun
}).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None))

/** The Effect 4 line's bench, on effect4's Node 22 with tsx; its run as it wrote it, or why there is none. */
const effect4 = (): Promise<LineRun | string> => {
  const dir = path.join(root, "effect4")
  const out = path.join(root, "build", "bench", "effect4.json")
  mkdirSync(path.dirname(out), { recursive: true })
  rmSync(out, { force: true })
  return new Promise((resolve) => {
    const child = spawn(path.join(dir, "node_modules", ".bin", "node"), ["--import", "tsx", path.join("bench", "run.ts")], {
      cwd: dir,
      stdio: ["ignore", "inherit", "inherit"],
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: path.join(dir, "bench", "tsx.tsconfig.json"),
        BENCH_OUT: out,
        BENCH_ONLY: onlyE4.join(",")
      }
    })
    child.on("error", (error) => resolve(`the Effect 4 line's bench did not start: ${error.message}`))
    child.on("close", (code) => {
      try {
        resolve(JSON.parse(readFileSync(out, "utf8")) as LineRun)
      } catch {
        resolve(`the Effect 4 line's bench exited with ${code} and wrote no rows`)
      }
    })
  })
}

const loadAverage = () => os.loadavg().map((n) => n.toFixed(2)).join(", ")

const main = async () => {
  const started = performance.now()
  const loadStart = loadAverage()
  const runs: Array<LineRun> = []
  const failures: Array<string> = []
  if (runE3) {
    try {
      runs.push(await Effect.runPromise(effect3))
    } catch (error) {
      failures.push(`the Effect 3 line's bench failed: ${String(error)}`)
    }
  }
  if (runE4) {
    const e4 = await effect4()
    if (typeof e4 === "string") failures.push(e4)
    else runs.push(e4)
  }
  const seconds = (performance.now() - started) / 1000
  const rows: Array<Row> = runs.flatMap((run) => run.findings.flatMap((f) => f.rows.map((r) => ({ ...r, line: run.line }))))
  printRows(rows)
  for (const failure of failures) console.log(`! ${failure}`)
  if (only.length > 0 || lineWanted !== "") return
  const load = { start: loadStart, end: loadAverage() }
  writeFileSync(path.join(root, "BENCHMARKS.md"), report(runs, seconds, load, failures))
  writeFileSync(path.join(here, "ratios.svg"), chart(rows))
  console.log(`wrote BENCHMARKS.md and bench/ratios.svg in ${seconds.toFixed(0)} s`)
}

main().catch((error) => console.error(error))
