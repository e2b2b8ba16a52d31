// The Effect 4 line's families of pnpm bench, run by the root's bench/run.ts on effect4's Node 22 with tsx
// (effect4/bench/tsx.tsconfig.json maps the packages to their built dist). It writes its run as JSON to
// BENCH_OUT for the root's one report; BENCH_ONLY=client,waiters runs only those families.
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Cause, Effect, References, type Scope } from "effect"
import type * as HttpClient from "effect/http/HttpClient"
import { writeFileSync } from "node:fs"
import { type LineRun, versionIn } from "../../bench/report.js"
import { clientInMemory, clientOverLoopback } from "./client.js"
import { coldCallers, coldFlight } from "./cold-start.js"
import { benchServer, effect4Root } from "./fixtures.js"
import { fleet } from "./fleet.js"
import { hotPath } from "./hot-path.js"
import { type Findings, log, printRows } from "./rounds.js"
import { startUp } from "./start-up.js"
import { tenantHeap, tenantsCold } from "./tenants.js"
import { waitersFamily } from "./waiters.js"

const only = (process.env["BENCH_ONLY"] ?? "").split(",").filter((name) => name !== "")

/** A family run, timed; a family that fails is a note in the report (the others still run). */
const section = <E, R>(name: string, family: Effect.Effect<Findings, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    const found = yield* Effect.scoped(family).pipe(
      Effect.catchCause((cause) => Effect.succeed<Findings>({ rows: [], notes: [`${name} failed: ${Cause.pretty(cause)}`], sections: [] }))
    )
    yield* log(`   (${((performance.now() - start) / 1000).toFixed(1)} s)`)
    return found
  })

const main = Effect.gen(function*() {
  yield* log("Effect 4 line")
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
    ["waiters", waitersFamily],
    ["start-up", startUp],
    ["fleet", fleet]
  ]
  const all: Array<Findings> = []
  for (const [name, family] of families) {
    if (only.length === 0 || only.includes(name)) all.push(yield* section(name, family))
  }
  const run: LineRun = {
    line: "Effect 4",
    findings: all,
    node: process.version,
    packages: `effect ${versionIn(effect4Root, "effect")}, @effect/platform-node ${versionIn(effect4Root, "@effect/platform-node")}`,
    seconds: (performance.now() - started) / 1000
  }
  // printed here when run on its own; the root prints both lines' rows at the end
  const out = process.env["BENCH_OUT"]
  if (out === undefined || out === "") printRows(all.flatMap((f) => f.rows))
  if (out !== undefined && out !== "") writeFileSync(out, JSON.stringify(run))
})

Effect.runPromise(
  main.pipe(Effect.scoped, Effect.provide(NodeHttpClient.layerUndici), Effect.provideService(References.MinimumLogLevel, "None"))
).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
