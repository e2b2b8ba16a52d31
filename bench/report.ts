// The report of pnpm bench, both lines in one: BENCHMARKS.md (every row with its line, how each is measured,
// where the time goes when a target is missed, the run's conditions) and bench/ratios.svg (the rows with a
// ratio target, with their spread). Needs no Effect: the Effect 4 line's rows come as JSON.
import { readFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Findings, type Line, rounds, type Row } from "./measure.js"

/** The version of a package installed in `dir`'s node_modules. */
export const versionIn = (dir: string, name: string) =>
  (JSON.parse(readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")) as { version: string }).version

/** One line's run: its findings, and what it ran on. */
export interface LineRun {
  readonly line: Line
  readonly findings: ReadonlyArray<Findings>
  /** `process.version` of the Node it ran on. */
  readonly node: string
  /** Its Effect packages and their versions, in words. */
  readonly packages: string
  readonly seconds: number
}

/** The short name of a line, for the chart. */
const short = (line: Line | undefined) => (line === "Effect 4" ? "E4" : "E3")

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The rows with a ratio target, as bars; the per-round spread as a whisker. */
export const chart = (data: ReadonlyArray<Row>): string => {
  const shown = data.filter((r) => r.spread !== "—" && (r.target.startsWith("≤") || r.target.startsWith("≥")))
  const width = 860
  const bar = 24
  const height = 40 + shown.length * (bar + 14)
  const max = Math.max(1.3, ...shown.map((r) => Number(r.spread.split("–")[1] ?? r.ratio)))
  const x = (v: number) => 430 + (v / max) * 340
  const items = shown.map((r, i) => {
    const y = 30 + i * (bar + 14)
    const [lo, hi] = r.spread.split("–").map(Number)
    return `<text x="10" y="${y + 16}" font-size="11">${short(r.line)} ${escape(r.name.slice(0, 66))}</text>` +
      `<rect x="430" y="${y}" width="${Math.max(1, x(r.ratio) - 430)}" height="${bar}" fill="${r.met ? "#2f855a" : "#c05621"}"/>` +
      `<line x1="${x(lo)}" y1="${y + bar / 2}" x2="${x(hi)}" y2="${y + bar / 2}" stroke="#222" stroke-width="1.5"/>` +
      `<text x="${x(Math.max(r.ratio, hi)) + 4}" y="${y + 16}" font-size="11">${r.ratio.toFixed(3)} (target ${escape(r.target)})</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="10" y="18" font-size="13" font-weight="bold">effect-hosecloud: median ratios against baselines of the same run, with their spread</text>` +
    `<line x1="${x(1)}" y1="24" x2="${x(1)}" y2="${height - 6}" stroke="#888" stroke-dasharray="4"/>` +
    items.join("") + `</svg>\n`
}

const method = [
  "How each is measured:",
  "1. Hot path: 300,000 reads of a valid cached token per round, interleaved with the baselines (`Ref.get` +",
  "   `Clock.currentTimeMillis`, `Effect.cachedInvalidateWithTTL`, an awaited async function); wall time.",
  "2. In memory: 10,000 sequential requests per round through `HosecloudClient`, through the smallest idiomatic",
  "   wrapper (`HttpClient.mapRequest(prependUrl)` + `mapRequestEffect` reading the token from a `Ref`) and through a",
  "   bare `HttpClient` that sends a fixed token, all over the same in-memory `HttpClient` that answers at once (no",
  "   socket): CPU time of the bench process per request. Each round starts after a garbage collection.",
  "3. End to end: a minimal `node:http` server that answers like the simulator, in a process of its own",
  "   (bench/server.mjs); 16 concurrent callers for 2 s per round; throughput and p99 latency per round.",
  "4. Cold start: a fresh `HosecloudAuth` per round and 10,000 concurrent `token` callers, against 10,000 fibers",
  "   awaiting one `Deferred` that is completed after one bare token request to the same server. The hand-written",
  "   cache is an async function with a cached value and no single flight, as SDKs often ship. The cold flight:",
  "   1,000 fresh `HosecloudAuth`s over the in-memory `HttpClient` (made first, not measured), then the first",
  "   `token` of each, against 1,000 bare token requests through that `HttpClient`, each answer read with",
  "   `TokenProtocol.readAnswer`, decoded with `decodeV3` and made an `AccessToken`; CPU time per flight.",
  "5. Heap after garbage collection with 10,000 tenants of a `TenantRegistry` holding their tokens (in-memory",
  "   HTTP, so that no server's memory is counted), then after the registry was closed. The registry's idle",
  "   time-to-live is an hour, so that no tenant is released before the last one is filled on a loaded machine",
  "   (it takes more than 30 s there); the number still held when the heap is measured is in the row, and must",
  "   be all of them.",
  "6. 5,000 tenants asking a fresh `TenantRegistry` (default `concurrency`) for their first token at once, over",
  "   loopback, against 5,000 bare token requests (read and decoded alike) at the registry's concurrency.",
  "7. `node packages/cli/dist/bin.js --help` and the smallest @effect/cli program (bench/cli-floor.ts, bundled the",
  "   same way) against `node -e 0`, each a fresh process.",
  "8. 8 Node processes with 1,000 callers each, at cold start and after the first refresh of 10-second tokens,",
  "   sharing Redis, against the same fleet without a store. The replicas start once Redis answers `PING`; each",
  "   reads the store before its callers come and after they are served, and says whether it answered.",
  "9. Effect 4 line only: 2,000 tenants of a fresh `TenantRegistry` of concurrency 64 (built first, not measured)",
  "   asking for their first token at once, over an in-memory `HttpClient` that answers after 20 ms, against 2,000",
  "   fibers each taking one of 64 permits of Effect's `Semaphore` for one bare token request over that client",
  "   (read and decoded alike); wall time to the last token. The floor of both is 32 waves of 20 ms. The target",
  "   (≤ 1.2) is this project's own choice: waiting in turn should cost little beside the requests themselves.",
  "",
  "Both lines run the same families against the same baselines, each on its own Node (the Effect 3 line on the",
  "machine's, the Effect 4 line on Node 22 from npm), one after the other in the same run, on the built packages",
  "of each (`dist`). The Effect 3 line's `HttpClient` and `Semaphore` are `@effect/platform`'s and `effect` 3's;",
  "the Effect 4 line's are `effect` 4's. The shared parts (statistics, profiles, the loopback server, Redis and",
  "the replicas' processes, the rows of each family) are bench/measure.ts, profile.ts, processes.ts and rows.ts."
]

export const report = (
  runs: ReadonlyArray<LineRun>,
  seconds: number,
  load: { readonly start: string; readonly end: string },
  failures: ReadonlyArray<string>
): string => {
  const rows = runs.flatMap((run) => run.findings.flatMap((f) => f.rows.map((r): Row => ({ ...r, line: run.line }))))
  const cpus = os.cpus()
  const missed = rows.filter((r) => !r.met)
  const lines = [
    "# Benchmarks",
    "",
    "Made by `pnpm bench` (bench/run.ts and the modules beside it for the Effect 3 line, effect4/bench for the",
    "Effect 4 line, one module per family of rows). Every figure is compared with a baseline measured in the same",
    "run, on the same machine, on the same line; the ratio is the median of the per-round ratios of figure over",
    `baseline, and the spread is their range (min–max over ${rounds} rounds; a dash where there is one measure).`,
    "Variants are measured in interleaved rounds, the order rotated every round, after a warm-up. Nothing here is",
    "a test: it reports. The machine is shared, so absolute figures move from run to run; the ratios within one",
    "run are what counts.",
    "",
    "Run conditions:",
    "",
    `- machine: ${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
    `- load average (1, 5, 15 min): ${load.start} at the start, ${load.end} at the end; ${
      Number.parseFloat(load.start) >= cpus.length / 2
        ? "the machine was shared with other work (test suites, builds), which moves absolute figures and widens the spreads"
        : "no other work ran at the start; the bench's own processes (its loopback server, Redis, the replicas) raise the load during the run"
    }`,
    ...runs.map((run) => `- ${run.line} line: node ${run.node}, ${run.packages}, ${run.seconds.toFixed(0)} s`),
    `- run: ${new Date().toISOString()}, ${seconds.toFixed(0)} s in all`,
    "",
    "![ratios](bench/ratios.svg)",
    "",
    ...(failures.length === 0 ? [] : ["**Not measured:**", "", ...failures.map((f) => `- ${f}`), ""]),
    "| line | benchmark | figure | baseline | ratio | spread | target | met |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.line} | ${r.name} | ${r.figure} | ${r.baseline} | ${r.ratio.toFixed(3)} | ${r.spread} | ${r.target} | ${r.met ? "yes" : "**no**"} |`
    ),
    "",
    ...method,
    ...runs.flatMap((run) => {
      const notes = run.findings.flatMap((f) => f.notes)
      return notes.length === 0 ? [] : ["", `Notes (${run.line} line):`, "", ...notes.map((n) => `- ${n}`)]
    }),
    ...(missed.length > 0 ? ["", "Targets missed, and where the time goes:", ""] : []),
    ...missed.map((r) => `- ${r.line}: ${r.name} (${r.ratio.toFixed(3)}, target ${r.target}). ${r.why ?? ""}`),
    ...runs.flatMap((run) =>
      run.findings.flatMap((f) => f.sections.flatMap((section) => ["", `${run.line} line. ${section[0]}`, ...section.slice(1)]))
    ),
    ""
  ]
  return lines.join("\n")
}
