// pnpm bench: every figure is measured against a baseline in the same run and reported as a ratio, with
// the absolute numbers and the spread of the per-round ratios, in BENCHMARKS.md and bench/ratios.svg. It
// reports; it never fails. It runs the built packages (dist, mapped by bench/tsx.tsconfig.json), the code
// users install, not the sources. Each family of rows is a module of its own; rounds.ts is the runner they
// share and report.ts writes the report.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Logger, LogLevel, type Scope } from "effect"
import { writeFileSync } from "node:fs"
import * as path from "node:path"
import { clientInMemory, clientOverLoopback } from "./client.js"
import { coldCallers, coldFlight } from "./cold-start.js"
import { benchServer, here, root } from "./fixtures.js"
import { fleet } from "./fleet.js"
import { hotPath } from "./hot-path.js"
import { chart, report } from "./report.js"
import { type Findings, log } from "./rounds.js"
import { startUp } from "./start-up.js"
import { tenantHeap, tenantsCold } from "./tenants.js"

const section = <E, R>(family: Effect.Effect<Findings, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    const found = yield* Effect.scoped(family)
    yield* log(`   (${((performance.now() - start) / 1000).toFixed(1)} s)`)
    return found
  })

/** `BENCH_ONLY=client,fleet` runs only those families (for working on one); the report is then not written. */
const only = (process.env["BENCH_ONLY"] ?? "").split(",").filter((name) => name !== "")

const main = Effect.gen(function*() {
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
    if (only.length === 0 || only.includes(name)) all.push(yield* section(family))
  }
  const seconds = (performance.now() - started) / 1000
  const rows = all.flatMap((f) => f.rows)
  for (const r of rows) {
    console.log(`${r.met ? "  " : "! "}${r.name}: ${r.figure} vs ${r.baseline} = ${r.ratio.toFixed(3)} [${r.spread}] (${r.target})`)
  }
  if (only.length > 0) return
  writeFileSync(path.join(root, "BENCHMARKS.md"), report(all, seconds))
  writeFileSync(path.join(here, "ratios.svg"), chart(rows))
  console.log(`wrote BENCHMARKS.md and bench/ratios.svg in ${seconds.toFixed(0)} s`)
})

Effect.runPromise(main.pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici), Logger.withMinimumLogLevel(LogLevel.None))).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
