// pnpm bench: every figure is measured against a baseline in the same run and reported as a ratio, with
// the absolute numbers and the spread of the per-round ratios, in BENCHMARKS.md and bench/ratios.svg. It
// reports; it never fails. Variants alternate round by round (their order swapped every round), after a
// warm-up, so that what the machine does meanwhile falls on both. It runs the built packages (dist, mapped by
// bench/tsx.tsconfig.json), the code users install, not the sources.
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudAuth, HosecloudClient, TenantRegistry, TokenProtocol } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import {
  Clock,
  Context,
  Deferred,
  Effect,
  Exit,
  Layer,
  Logger,
  LogLevel,
  PubSub,
  Redacted,
  RcMap,
  Ref,
  Schedule,
  Scope
} from "effect"
import { build } from "esbuild"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as inspector from "node:inspector/promises"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "..")
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void
const heap = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}
const sorted = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)
const median = (xs: ReadonlyArray<number>) => {
  const s = sorted(xs)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
const percentile = (xs: ReadonlyArray<number>, p: number) => {
  const s = sorted(xs)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]
}
const fmt = (n: number, digits = 3) => n.toFixed(digits)
const spreadOf = (ratios: ReadonlyArray<number>) => `${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))}`
const credentials = { appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }
const rounds = 8

interface Row {
  readonly name: string
  readonly figure: string
  readonly baseline: string
  readonly ratio: number
  /** The per-round ratios' min–max, or a dash for a single measure. */
  readonly spread: string
  readonly target: string
  readonly met: boolean
}
const rows: Array<Row> = []
const notes: Array<string> = []
const log = (line: string) => Effect.sync(() => console.log(line))

/** `a` and `b` measured `rounds` times, alternating, `a` first in even rounds; answers both lists. */
const alternate = <A, E1, R1, E2, R2>(a: Effect.Effect<A, E1, R1>, b: Effect.Effect<A, E2, R2>) =>
  Effect.gen(function*() {
    const as: Array<A> = []
    const bs: Array<A> = []
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        as.push(yield* a)
        bs.push(yield* b)
      } else {
        bs.push(yield* b)
        as.push(yield* a)
      }
    }
    return [as, bs] as const
  })

// the end-to-end server, in a process of its own -----------------------------------------------------

interface BenchServer {
  readonly url: string
  readonly tokens: Effect.Effect<number>
}

const benchServer = Effect.map(
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly kill: () => void }>((resume) => {
      const child = spawn(process.execPath, [path.join(here, "server.mjs")], { stdio: ["ignore", "pipe", "inherit"] })
      child.stdout.once("data", (line) =>
        resume(Effect.succeed({ url: (JSON.parse(String(line)) as { url: string }).url, kill: () => child.kill("SIGKILL") })))
    }),
    ({ kill }) => Effect.sync(kill)
  ),
  ({ url }): BenchServer => ({
    url,
    tokens: Effect.promise(() => fetch(`${url}/bench/count`).then((r) => r.json() as Promise<{ tokens: number }>)).pipe(
      Effect.map(({ tokens }) => tokens)
    )
  })
)

// an in-memory HTTP exchange with next to no cost of its own ------------------------------------------

const encoder = new TextEncoder()
const businessBody = encoder.encode("{\"value\":{\"id\":\"CORP\",\"name\":\"Bench Corporation\"}}")

/** Answers the v3 token endpoint (a new token per request) and any other request with a small JSON body. */
const memoryClient = () => {
  let issued = 0
  return HttpClient.make((request) =>
    Effect.sync(() => {
      if (request.url.endsWith(TokenProtocol.v3Path)) {
        issued++
        const body = JSON.stringify({
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
        return HttpClientResponse.fromWeb(request, new Response(body, { headers: { "content-type": "application/json" } }))
      }
      return HttpClientResponse.fromWeb(request, new Response(businessBody, { headers: { "content-type": "application/json" } }))
    })
  )
}

// 1. hot path ------------------------------------------------------------------------------------------

const hotPath = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("1. hot path")
    const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: server.url })
    yield* auth.token
    const state = yield* Ref.make({ expiresAt: Number.MAX_SAFE_INTEGER, token: 1 })
    const refAndClock = Effect.flatMap(Ref.get(state), (s) =>
      Effect.map(Clock.currentTimeMillis, (now) => (now < s.expiresAt ? s.token : 0)))
    const [cachedTtl] = yield* Effect.cachedInvalidateWithTTL(Effect.succeed(1), "1 hour")
    let cached: { value: number; expiresAt: number } | undefined
    const asyncCache = async () => {
      if (cached !== undefined && Date.now() < cached.expiresAt) return cached.value
      cached = { value: 1, expiresAt: Date.now() + 3_600_000 }
      return cached.value
    }
    const n = 300_000
    const loop = (effect: Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        const start = performance.now()
        for (let i = 0; i < n; i++) yield* effect
        return ((performance.now() - start) * 1000) / n
      })
    const asyncLoop = Effect.promise(async () => {
      const start = performance.now()
      for (let i = 0; i < n; i++) await asyncCache()
      return ((performance.now() - start) * 1000) / n
    })
    const samples = { token: [] as Array<number>, ref: [] as Array<number>, ttl: [] as Array<number>, async: [] as Array<number> }
    // the four are interleaved round by round, so that machine noise falls on all of them
    for (let round = 0; round < 7; round++) {
      samples.token.push(yield* loop(auth.token))
      samples.ref.push(yield* loop(refAndClock))
      samples.ttl.push(yield* loop(cachedTtl))
      samples.async.push(yield* asyncLoop)
    }
    const ratios = (of: Array<number>) => samples.token.map((t, i) => t / of[i])
    const token = median(samples.token)
    const row = (name: string, of: Array<number>, target: string, met: (ratio: number) => boolean) => {
      const ratio = median(ratios(of))
      rows.push({
        name,
        figure: `${fmt(token)} µs/read`,
        baseline: `${fmt(median(of))} µs/read`,
        ratio,
        spread: spreadOf(ratios(of)),
        target,
        met: met(ratio)
      })
    }
    row("hot path vs Ref.get + Clock.currentTimeMillis", samples.ref, "≤ 0.9", (r) => r <= 0.9)
    row("hot path vs Effect.cachedInvalidateWithTTL", samples.ttl, "≤ 1/12 (0.083)", (r) => r <= 1 / 12)
    row("hot path vs a plain async function cache (awaited)", samples.async, "(for comparison)", () => true)
  })

// 2. the client's own cost, in memory -------------------------------------------------------------------

const clientInMemory = Effect.gen(function*() {
  yield* log("2. HosecloudClient vs a bare HttpClient, in memory")
  const http = memoryClient()
  const apiUrl = "https://app.ekuaibao.com"
  const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: "https://open.hosecloud.com" }).pipe(
    Effect.provideService(HttpClient.HttpClient, http)
  )
  const client = yield* HosecloudClient.make({ apiUrl }).pipe(
    Effect.provideService(HosecloudAuth.HosecloudAuth, auth),
    Effect.provideService(HttpClient.HttpClient, http)
  )
  const fixed = Redacted.value((yield* auth.token).accessToken)
  const path = "/api/openapi/v1/corporations"
  const viaClient = Effect.asVoid(client.get(path))
  const bare = Effect.asVoid(http.execute(HttpClientRequest.get(`${apiUrl}${path}`).pipe(
    HttpClientRequest.setUrlParam("accessToken", fixed)
  )))
  const n = 10_000
  const perRequest = (request: Effect.Effect<void, unknown>) =>
    Effect.gen(function*() {
      // a round starts on a collected heap, so that no round pays for the garbage of the one before
      heap()
      const start = performance.now()
      for (let i = 0; i < n; i++) yield* request
      return ((performance.now() - start) * 1000) / n
    })
  yield* perRequest(bare)
  yield* perRequest(viaClient)
  const compare = (name: string, target: string, met: (ratio: number) => boolean, tracing: boolean) =>
    Effect.gen(function*() {
      const [clientTimes, bareTimes] = yield* alternate(
        Effect.withTracerEnabled(perRequest(viaClient), tracing),
        Effect.withTracerEnabled(perRequest(bare), tracing)
      )
      const ratios = clientTimes.map((c, i) => c / bareTimes[i])
      const ratio = median(ratios)
      rows.push({
        name,
        figure: `${fmt(median(clientTimes), 2)} µs`,
        baseline: `${fmt(median(bareTimes), 2)} µs`,
        ratio,
        spread: spreadOf(ratios),
        target,
        met: met(ratio)
      })
    })
  yield* compare("HosecloudClient vs a bare HttpClient with a fixed token, in memory, per request", "≤ 1.10", (r) => r <= 1.1, true)
  // the same with no span anywhere: how much of the difference is tracing
  yield* compare("the same, tracing off in both (no span recorded)", "(for comparison)", () => true, false)
  // where the time goes: a CPU profile of each, by whose code ran
  for (const [name, request] of [["HosecloudClient", viaClient], ["bare HttpClient", bare]] as const) {
    heap()
    const shares = yield* cpuShares(Effect.withTracerEnabled(perRequest(request), false), n)
    cpuProfile.push([name, shares])
  }
})

/** Whose code a CPU sample fell in, from its script's URL. */
const categoryOf = (url: string, functionName: string): string => {
  if (functionName === "(garbage collector)") return "garbage collection"
  if (url.includes("/@effect/platform/") || url.includes("/platform/dist/")) return "@effect/platform"
  if (url.includes("/effect/dist/")) return "effect (runtime, fibers, data types)"
  if (url.includes("/packages/core/dist/") || url.includes("/packages/core/src/")) return "this library"
  if (url === "" || url.startsWith("node:") || !url.includes("/")) return "Node (fetch Response, AbortController, streams)"
  return "other (the bench itself)"
}

/** Microseconds of CPU per request in each category, from a sampling profile of `run` (`requests` of them). */
const cpuShares = <E>(run: Effect.Effect<unknown, E>, requests: number) =>
  Effect.gen(function*() {
    const session = new inspector.Session()
    session.connect()
    const post = <T>(method: string, params?: object) =>
      Effect.promise(() => session.post(method, params) as Promise<T>)
    yield* post("Profiler.enable")
    yield* post("Profiler.setSamplingInterval", { interval: 200 })
    yield* post("Profiler.start")
    yield* run
    const { profile } = yield* post<{ profile: CpuProfile }>("Profiler.stop")
    session.disconnect()
    const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
    const totals = new Map<string, number>()
    profile.samples.forEach((id, i) => {
      const frame = byNode.get(id)?.callFrame
      if (frame === undefined || frame.functionName === "(idle)" || frame.functionName === "(program)") return
      const category = categoryOf(frame.url, frame.functionName)
      totals.set(category, (totals.get(category) ?? 0) + profile.timeDeltas[i])
    })
    return new Map(Array.from(totals, ([category, micros]) => [category, micros / requests]))
  })

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const cpuProfile: Array<readonly [string, ReadonlyMap<string, number>]> = []

// 3. end to end over loopback ---------------------------------------------------------------------------

const endToEnd = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("3. end to end over loopback")
    const http = yield* HttpClient.HttpClient
    const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: server.url })
    const client = yield* HosecloudClient.make({ apiUrl: server.url }).pipe(
      Effect.provideService(HosecloudAuth.HosecloudAuth, auth)
    )
    const fixed = Redacted.value((yield* auth.token).accessToken)
    const viaClient = Effect.flatMap(client.get("/api/openapi/v1/corporations"), (r) => r.arrayBuffer)
    const bare = Effect.flatMap(
      http.execute(
        HttpClientRequest.get(`${server.url}/api/openapi/v1/corporations`).pipe(HttpClientRequest.setUrlParam("accessToken", fixed))
      ),
      (r) => r.arrayBuffer
    )
    const run = (request: Effect.Effect<unknown, unknown>, millis: number) =>
      Effect.gen(function*() {
        const latencies: Array<number> = []
        const end = performance.now() + millis
        yield* Effect.all(
          Array.from({ length: 16 }, () =>
            Effect.gen(function*() {
              while (performance.now() < end) {
                const start = performance.now()
                yield* request
                latencies.push(performance.now() - start)
              }
            })),
          { concurrency: "unbounded", discard: true }
        )
        return { throughput: latencies.length / (millis / 1000), p99: percentile(latencies, 0.99) }
      })
    yield* run(bare, 1000)
    yield* run(viaClient, 1000)
    const [viaClientRounds, bareRounds] = yield* alternate(run(viaClient, 2000), run(bare, 2000))
    const throughputRatios = viaClientRounds.map((c, i) => c.throughput / bareRounds[i].throughput)
    const p99Ratios = viaClientRounds.map((c, i) => c.p99 / bareRounds[i].p99)
    const throughput = median(throughputRatios)
    const p99 = median(p99Ratios)
    rows.push({
      name: "HosecloudClient vs the bare HttpClient over loopback: throughput",
      figure: `${fmt(median(viaClientRounds.map((r) => r.throughput)), 0)} req/s`,
      baseline: `${fmt(median(bareRounds.map((r) => r.throughput)), 0)} req/s`,
      ratio: throughput,
      spread: spreadOf(throughputRatios),
      target: "≥ 0.97",
      met: throughput >= 0.97
    })
    rows.push({
      name: "HosecloudClient vs the bare HttpClient over loopback: p99 latency",
      figure: `${fmt(median(viaClientRounds.map((r) => r.p99)), 2)} ms`,
      baseline: `${fmt(median(bareRounds.map((r) => r.p99)), 2)} ms`,
      ratio: p99,
      spread: spreadOf(p99Ratios),
      target: "≤ 1.05",
      met: p99 <= 1.05
    })
  })

// 4. cold start: 10,000 callers ------------------------------------------------------------------------

const coldCallers = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("4. 10,000 cold callers")
    const http = yield* HttpClient.HttpClient
    const callers = 10_000
    const bareRequest = Effect.flatMap(
      http.execute(HttpClientRequest.post(`${server.url}${TokenProtocol.v3Path}`).pipe(
        HttpClientRequest.bodyUnsafeJson({ appKey: "demo-app-key", appSecurity: "demo-app-security" })
      )),
      (r) => r.json
    )
    const requests: Array<number> = []
    // the floor: 10,000 fibers waiting on one Deferred, completed after one bare token request
    const floor = Effect.gen(function*() {
      const start = performance.now()
      const done = yield* Deferred.make<unknown>()
      const waiting = yield* Effect.fork(
        Effect.all(Array.from({ length: callers }, () => Deferred.await(done)), { concurrency: "unbounded", discard: true })
      )
      yield* Deferred.succeed(done, yield* bareRequest)
      yield* waiting.await
      return performance.now() - start
    })
    const library = Effect.scoped(Effect.gen(function*() {
      const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: server.url })
      const before = yield* server.tokens
      const start = performance.now()
      yield* Effect.all(Array.from({ length: callers }, () => auth.token), { concurrency: "unbounded", discard: true })
      const elapsed = performance.now() - start
      requests.push((yield* server.tokens) - before)
      return elapsed
    }))
    yield* floor
    yield* library
    requests.length = 0
    const [libraryTimes, floorTimes] = yield* alternate(library, floor)
    const ratios = libraryTimes.map((l, i) => l / floorTimes[i])
    const ratio = median(ratios)
    const most = Math.max(...requests)
    rows.push({
      name: "10,000 cold callers: time to the last token vs 10,000 fibers awaiting one Deferred after one bare request",
      figure: `${fmt(median(libraryTimes), 1)} ms, ${most} request(s) per round at most`,
      baseline: `${fmt(median(floorTimes), 1)} ms`,
      ratio,
      spread: spreadOf(ratios),
      target: "≤ 1.2, and 1 request",
      met: ratio <= 1.2 && most === 1
    })

    // the kind of cache SDKs ship: an async function with a cached value, and no single flight
    const beforeHand = yield* server.tokens
    let value: { token: string; expiresAt: number } | undefined
    const fetchToken = async () => {
      const response = await fetch(`${server.url}${TokenProtocol.v3Path}`, {
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
    const handStart = performance.now()
    const settled = yield* Effect.promise(() => Promise.allSettled(Array.from({ length: callers }, () => getToken())))
    const hand = performance.now() - handStart
    const handRequests = (yield* server.tokens) - beforeHand
    const handFailed = settled.filter((r) => r.status === "rejected").length
    rows.push({
      name: "hand-written async cache, 10,000 cold callers: token requests made",
      figure: `${handRequests} requests received, ${handFailed} callers failed, ${fmt(hand, 0)} ms`,
      baseline: "1 (ideal)",
      ratio: handRequests,
      spread: "—",
      target: "(for comparison)",
      met: true
    })
  })

// 5. heap per tenant ------------------------------------------------------------------------------------

/** The heap `count` values of `make` hold, per value, in KiB. */
const heapOf = <A, E, R>(count: number, make: (i: number) => Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const held: Array<A> = []
    const base = heap()
    for (let i = 0; i < count; i++) held.push(yield* make(i))
    const perValue = (heap() - base) / count / 1024
    held.length = 0
    return perValue
  })

const tenants = Effect.gen(function*() {
  yield* log("5. heap per tenant")
  const count = 10_000
  const tenant = (i: number) => ({ appKey: `t${i}`, appSecurity: Redacted.make(`s${i}`) })
  const base = heap()
  yield* Effect.scoped(Effect.gen(function*() {
    const registry = yield* TenantRegistry.make({ idleTimeToLive: "2 seconds" }).pipe(
      Effect.provideService(HttpClient.HttpClient, memoryClient())
    )
    yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => registry.token(tenant(i)), {
      concurrency: 100,
      discard: true
    })
    const active = (heap() - base) / count / 1024
    while ((yield* registry.size) > 0) yield* Effect.sleep("200 millis")
    const idle = (heap() - base) / count / 1024
    rows.push({
      name: "heap per active tenant (token held, refresh scheduled), 10,000 tenants",
      figure: `${fmt(active, 1)} KiB`,
      baseline: "(absolute)",
      ratio: active,
      spread: "—",
      target: "≤ 8 KiB",
      met: active <= 8
    })
    rows.push({
      name: "heap per released tenant, 10,000 tenants",
      figure: `${fmt(idle, 2)} KiB`,
      baseline: `${fmt(active, 1)} KiB active`,
      ratio: idle / active,
      spread: "—",
      target: "≈ 0",
      met: idle / active < 0.05
    })
  }))

  // where an active tenant's heap goes: its parts, and Effect's primitives, measured the same way
  const parts = 2_000
  const scope = yield* Scope.make()
  const http = memoryClient()
  const auth = (i: number) =>
    HosecloudAuth.make(tenant(i)).pipe(Effect.provideService(HttpClient.HttpClient, http), Scope.extend(scope))
  const protocol = yield* TokenProtocol.v3(tenant(0)).pipe(Effect.provideService(HttpClient.HttpClient, http))
  profile.push(
    ["a token as decoded (AccessToken, its strings and dates)", yield* heapOf(parts, () => protocol.issue)],
    ["a HosecloudAuth on its own, no token yet (with its own timers and their fiber)", yield* heapOf(parts, auth)],
    ["the same holding a token, its refresh a wake-up", yield* heapOf(parts, (i) => Effect.tap(auth(i), (a) => a.token))],
    ["a fiber forked into a scope, asleep", yield* heapOf(parts, () => Effect.forkIn(Effect.sleep("1 hour"), scope))],
    ["a fiber asleep in Effect.scheduleFrom (a refresher as a fiber)", yield* heapOf(parts, () =>
      Effect.forkIn(Effect.scheduleFrom(Effect.void, 0, Schedule.spaced("1 hour")), scope))],
    ["an RcMap holding one idle entry (its scope and idle-time fiber)", yield* heapOf(parts, (i) =>
      Effect.flatMap(RcMap.make({ lookup: (key: number) => Effect.succeed(key), idleTimeToLive: "1 hour" }), (map) =>
        Effect.as(Effect.scoped(RcMap.get(map, i)), map)).pipe(Scope.extend(scope)))],
    ["an unbounded PubSub (made only when someone subscribes)", yield* heapOf(parts, () => PubSub.unbounded<number>())],
    ["a Deferred", yield* heapOf(parts, () => Deferred.make<number>())]
  )
  yield* Scope.close(scope, Exit.void)
})
const profile: Array<readonly [string, number]> = []

// 6. 5,000 tenants cold at once over loopback -----------------------------------------------------------

const tenantsCold = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("6. 5,000 tenants cold at once over loopback")
    const count = 5_000
    const registry = yield* TenantRegistry.make()
    const before = yield* server.tokens
    const start = performance.now()
    const outcomes = yield* Effect.all(
      Array.from({ length: count }, (_, i) =>
        Effect.either(registry.token({ appKey: `cold-${i}`, appSecurity: Redacted.make(`secret-${i}`), authUrl: server.url }))),
      { concurrency: "unbounded" }
    )
    const elapsed = performance.now() - start
    const requests = (yield* server.tokens) - before
    const served = outcomes.filter((o) => o._tag === "Right").length
    rows.push({
      name: "5,000 tenants cold at once over loopback (TenantRegistry, default concurrency)",
      figure: `${served} served, ${requests} requests, ${fmt(elapsed / 1000, 2)} s`,
      baseline: `${count} tenants`,
      ratio: requests / count,
      spread: "—",
      target: "all served, ≤ 5,050 requests",
      met: served === count && requests <= 5_050
    })
  })

// 7. start-up of the hosecloud executable ----------------------------------------------------------------

const startUp = Effect.gen(function*() {
  yield* log("7. hosecloud --help start-up")
  const bin = path.join(root, "packages/cli/dist/bin.js")
  const floorBundle = path.join(root, "build/bench/cli-floor.mjs")
  mkdirSync(path.dirname(floorBundle), { recursive: true })
  yield* Effect.promise(() =>
    build({
      entryPoints: [path.join(here, "cli-floor.ts")],
      outfile: floorBundle,
      bundle: true,
      platform: "node",
      format: "esm",
      banner: { js: "import { createRequire as __floorRequire } from \"node:module\"\nconst require = __floorRequire(import.meta.url)" },
      logLevel: "warning"
    })
  )
  const time = (args: ReadonlyArray<string>) =>
    Effect.sync(() => {
      const start = performance.now()
      const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] })
      if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`)
      return performance.now() - start
    })
  const help = time([bin, "--help"])
  const floor = time([floorBundle, "--help"])
  const empty = time(["-e", "0"])
  yield* help
  yield* floor
  yield* empty
  const [helpTimes, emptyTimes] = yield* alternate(help, empty)
  const [floorTimes, emptyTimes2] = yield* alternate(floor, empty)
  const helpRatios = helpTimes.map((h, i) => h / emptyTimes[i])
  const floorRatios = floorTimes.map((f, i) => f / emptyTimes2[i])
  rows.push({
    name: "hosecloud --help start-up vs node -e 0",
    figure: `${fmt(median(helpTimes), 0)} ms`,
    baseline: `${fmt(median(emptyTimes), 0)} ms`,
    ratio: median(helpRatios),
    spread: spreadOf(helpRatios),
    target: "≤ 3",
    met: median(helpRatios) <= 3
  })
  rows.push({
    name: "the smallest @effect/cli program, bundled alike, vs node -e 0",
    figure: `${fmt(median(floorTimes), 0)} ms`,
    baseline: `${fmt(median(emptyTimes2), 0)} ms`,
    ratio: median(floorRatios),
    spread: spreadOf(floorRatios),
    target: "(for comparison)",
    met: true
  })
})

// 8. replicas over Redis --------------------------------------------------------------------------------

const replicas = Effect.gen(function*() {
  yield* log("8. 8 replica processes sharing Redis")
  try {
    execFileSync("redis-server", ["--version"])
  } catch {
    notes.push("8. replicas: redis-server is not installed here, so this benchmark was skipped.")
    return
  }
  const port = 20000 + Math.floor(Math.random() * 20000)
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
  yield* Effect.addFinalizer(() => Effect.sync(() => redis.kill("SIGKILL")))
  yield* Effect.sleep("500 millis")
  const context = yield* Layer.build(NodeSimulator.layer())
  const sim = Context.get(context, HosecloudSimulator.HosecloudSimulator)
  const url = Context.get(context, NodeSimulator.SimulatorAddress).url
  yield* sim.setTokenLifetime("10 seconds")
  const runFleet = (shared: boolean) =>
    Effect.promise(() =>
      Promise.all(Array.from({ length: 8 }, () =>
        new Promise<{ cold: Array<number>; expiry: Array<number> }>((resolve, reject) => {
          const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "replica.ts")], {
            cwd: root,
            env: {
              ...process.env,
              TSX_TSCONFIG_PATH: path.join(here, "tsx.tsconfig.json"),
              SIM_URL: url,
              REDIS_URL: shared ? `redis://127.0.0.1:${port}` : "",
              CALLERS: "1000"
            }
          })
          let out = ""
          child.stdout.on("data", (d) => (out += d))
          child.on("close", (code) => code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`replica exit ${code}`)))
        })))
    )
  const before = yield* sim.count("v3.getAccessToken")
  const sharedRun = yield* runFleet(true)
  const sharedRequests = (yield* sim.count("v3.getAccessToken")) - before
  const beforeLocal = yield* sim.count("v3.getAccessToken")
  const localRun = yield* runFleet(false)
  const localRequests = (yield* sim.count("v3.getAccessToken")) - beforeLocal
  const p = (runs: typeof sharedRun, key: "cold" | "expiry", q: number) => percentile(runs.flatMap((r) => r[key]), q)
  rows.push({
    name: "8 processes x 1,000 callers over Redis: token requests for a cold start and one refresh",
    figure: `${sharedRequests} requests`,
    baseline: `${localRequests} without the store`,
    ratio: sharedRequests / 2,
    spread: "—",
    target: "1 per cycle",
    met: sharedRequests === 2
  })
  rows.push({
    name: "shared read: cold-start latency p50 / p99, with Redis vs without",
    figure: `${fmt(p(sharedRun, "cold", 0.5), 1)} / ${fmt(p(sharedRun, "cold", 0.99), 1)} ms`,
    baseline: `${fmt(p(localRun, "cold", 0.5), 1)} / ${fmt(p(localRun, "cold", 0.99), 1)} ms`,
    ratio: p(sharedRun, "cold", 0.99) / p(localRun, "cold", 0.99),
    spread: "—",
    target: "(reported)",
    met: true
  })
  rows.push({
    name: "shared read: latency after the refresh p50 / p99, with Redis vs without",
    figure: `${fmt(p(sharedRun, "expiry", 0.5), 3)} / ${fmt(p(sharedRun, "expiry", 0.99), 3)} ms`,
    baseline: `${fmt(p(localRun, "expiry", 0.5), 3)} / ${fmt(p(localRun, "expiry", 0.99), 3)} ms`,
    ratio: p(sharedRun, "expiry", 0.99) / Math.max(p(localRun, "expiry", 0.99), 0.001),
    spread: "—",
    target: "(reported)",
    met: true
  })
})

// the report ---------------------------------------------------------------------------------------------

const version = (name: string) =>
  (JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")

/** The rows with a ratio target, as bars; the per-round spread as a whisker. */
const chart = (data: ReadonlyArray<Row>) => {
  const shown = data.filter((r) => r.spread !== "—" && r.target !== "(for comparison)")
  const width = 820
  const bar = 24
  const height = 40 + shown.length * (bar + 14)
  const max = Math.max(1.3, ...shown.map((r) => Number(r.spread.split("–")[1] ?? r.ratio)))
  const x = (v: number) => 390 + (v / max) * 360
  const items = shown.map((r, i) => {
    const y = 30 + i * (bar + 14)
    const [lo, hi] = r.spread.split("–").map(Number)
    return `<text x="10" y="${y + 16}" font-size="11">${escape(r.name.slice(0, 62))}</text>` +
      `<rect x="390" y="${y}" width="${Math.max(1, x(r.ratio) - 390)}" height="${bar}" fill="${r.met ? "#2f855a" : "#c05621"}"/>` +
      `<line x1="${x(lo)}" y1="${y + bar / 2}" x2="${x(hi)}" y2="${y + bar / 2}" stroke="#222" stroke-width="1.5"/>` +
      `<text x="${x(Math.max(r.ratio, hi)) + 4}" y="${y + 16}" font-size="11">${r.ratio.toFixed(3)} (target ${escape(r.target)})</text>`
  })
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="10" y="18" font-size="13" font-weight="bold">effect-hosecloud: median ratios against baselines of the same run, with their spread</text>` +
    `<line x1="${x(1)}" y1="24" x2="${x(1)}" y2="${height - 6}" stroke="#888" stroke-dasharray="4"/>` +
    items.join("") + `</svg>\n`
}

/** Why a target was missed, as far as the measurements show. */
const why = (row: Row): string => {
  if (row.name.startsWith("heap per active tenant")) {
    return "The parts, measured in this run (heap per value, 2,000 of each): " +
      profile.map(([name, kib]) => `${name} ${fmt(kib, 2)} KiB`).join("; ") + ". A tenant holds no fiber: its " +
      "token (about a fifth of it), its engine's state, service and scope, its protocol, and two wake-ups on the " +
      "registry's timers (the refresh, the idle release)."
  }
  if (row.name.startsWith("HosecloudClient vs a bare HttpClient")) {
    const off = rows.find((r) => r.name.startsWith("the same, tracing off"))
    const diff = (category: string) =>
      cpuProfile.length < 2 ? "?" : fmt((cpuProfile[0][1].get(category) ?? 0) - (cpuProfile[1][1].get(category) ?? 0), 1)
    return `With tracing off in both, the client costs ${off?.figure ?? "?"} against ${off?.baseline ?? "?"} ` +
      `(${off?.ratio.toFixed(2) ?? "?"}x): the span is not what costs. The CPU profile below says where the ` +
      `difference is: ${diff("effect (runtime, fibers, data types)")} µs per request in Effect's runtime, ` +
      `${diff("garbage collection")} µs in garbage collection, ${diff("this library")} µs in this library's own ` +
      `code and ${diff("@effect/platform")} µs in @effect/platform. Effect's share is the steps the client adds ` +
      "around the platform's request: reading the host and the tenant, the token, the context change that " +
      "turns fetch's redirects off and names the span's parent, the FiberRef change that turns the platform's " +
      "own span off (each change copies the fiber's references), the redirect guard and the wrapped answer; " +
      "each, taken out alone while developing, moved the ratio by less than the spread between rounds. " +
      "Reaching 1.10x needs a wire client below HttpClient.make that is built once with these settings " +
      "instead of applying them per request."
  }
  if (row.name.startsWith("HosecloudClient vs the bare HttpClient over loopback")) {
    return "The same per-request work as in memory, on a loopback exchange that costs the client process about " +
      "as much CPU again; the server runs in its own process."
  }
  if (row.name.startsWith("hosecloud --help")) {
    const floor = rows.find((r) => r.name.startsWith("the smallest @effect/cli program"))
    return `The smallest @effect/cli program, bundled alike, takes ${floor?.figure ?? "?"} (${floor?.ratio.toFixed(2) ?? "?"}x): ` +
      "compiling and evaluating effect, @effect/cli and @effect/platform-node at start-up is the floor, and " +
      "hosecloud is within a few milliseconds of it."
  }
  return ""
}

const report = (seconds: number) => {
  const cpus = os.cpus()
  const lines = [
    "# Benchmarks",
    "",
    "Made by `pnpm bench` (bench/run.ts). Every figure is compared with a baseline measured in the same run, on",
    "the same machine; the ratio is the median of the per-round ratios of figure over baseline, and the spread is",
    "their range (min–max over 8 rounds; a dash where there is one measure). Variants alternate round by round,",
    "their order swapped every round, after a warm-up. Nothing here is a test: it reports.",
    "",
    `- machine: ${cpus.length} × ${cpus[0]?.model ?? "unknown CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}`,
    `- node ${process.version}, effect ${version("effect")}, @effect/platform ${version("@effect/platform")}, @effect/platform-node ${version("@effect/platform-node")}`,
    `- run: ${new Date().toISOString()}, ${seconds.toFixed(0)} s`,
    "",
    "![ratios](bench/ratios.svg)",
    "",
    "| benchmark | figure | baseline | ratio | spread | target | met |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.name} | ${r.figure} | ${r.baseline} | ${r.ratio.toFixed(3)} | ${r.spread} | ${r.target} | ${r.met ? "yes" : "**no**"} |`
    ),
    "",
    "How each is measured:",
    "1. Hot path: 300,000 reads of a valid cached token per round, 7 rounds interleaved with the baselines",
    "   (`Ref.get` + `Clock.currentTimeMillis`, `Effect.cachedInvalidateWithTTL`, an awaited async function).",
    "2. In memory: 10,000 sequential requests per round through `HosecloudClient` and through a bare `HttpClient`",
    "   that sends a fixed token, both over the same in-memory `HttpClient` that answers at once (no socket): the",
    "   client's own cost per request. Each round starts after a garbage collection.",
    "3. End to end: a minimal `node:http` server that answers like the simulator, in a process of its own",
    "   (bench/server.mjs); 16 concurrent callers for 2 s per round; throughput and p99 latency per round.",
    "4. Cold start: a fresh `HosecloudAuth` per round and 10,000 concurrent `token` callers, against 10,000 fibers",
    "   awaiting one `Deferred` that is completed after one bare token request to the same server. The hand-written",
    "   cache is an async function with a cached value and no single flight, as SDKs often ship.",
    "5. Heap after garbage collection with 10,000 tenants of a `TenantRegistry` holding their tokens (in-memory",
    "   HTTP, so that no server's memory is counted), then after they were released as idle.",
    "6. 5,000 tenants asking a `TenantRegistry` (default `concurrency`) for their first token at once, over loopback.",
    "7. `node packages/cli/dist/bin.js --help` and the smallest @effect/cli program (bench/cli-floor.ts, bundled the",
    "   same way) against `node -e 0`, each a fresh process.",
    "8. 8 Node processes with 1,000 callers each, at cold start and after the first refresh of 10-second tokens,",
    "   sharing Redis, against the same fleet without a store.",
    ...(notes.length === 0 ? [] : ["", "Notes:", ...notes.map((n) => `- ${n}`)]),
    ...rows.filter((r) => !r.met).map((r) => `- Target missed: ${r.name} (${r.ratio.toFixed(3)}, target ${r.target}). ${why(r)}`),
    ...cpuTable(),
    ...(profile.length === 0 ? [] : [
      "",
      "Heap of a tenant's parts and of Effect's primitives (per value, 2,000 of each, after garbage collection):",
      "",
      "| value | heap |",
      "| --- | --- |",
      ...profile.map(([name, kib]) => `| ${name} | ${fmt(kib, 2)} KiB |`)
    ]),
    ""
  ]
  return lines.join("\n")
}

/** The in-memory request's CPU time by whose code ran, for both clients. */
const cpuTable = (): Array<string> => {
  if (cpuProfile.length < 2) return []
  const [[clientName, client], [bareName, bare]] = cpuProfile
  const categories = Array.from(new Set([...client.keys(), ...bare.keys()]))
    .sort((a, b) => ((client.get(b) ?? 0) - (bare.get(b) ?? 0)) - ((client.get(a) ?? 0) - (bare.get(a) ?? 0)))
  const total = (m: ReadonlyMap<string, number>) => Array.from(m.values()).reduce((a, b) => a + b, 0)
  return [
    "",
    "Where an in-memory request's CPU time goes (a sampling profile of one round of each, tracing off), in µs",
    "per request, by whose code ran:",
    "",
    `| code | ${clientName} | ${bareName} | difference |`,
    "| --- | --- | --- | --- |",
    ...categories.map((c) =>
      `| ${c} | ${fmt(client.get(c) ?? 0, 2)} | ${fmt(bare.get(c) ?? 0, 2)} | ${fmt((client.get(c) ?? 0) - (bare.get(c) ?? 0), 2)} |`
    ),
    `| all | ${fmt(total(client), 2)} | ${fmt(total(bare), 2)} | ${fmt(total(client) - total(bare), 2)} |`
  ]
}

const section = <E, R>(effect: Effect.Effect<void, E, R>) =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* Effect.scoped(effect)
    yield* log(`   (${((performance.now() - start) / 1000).toFixed(1)} s)`)
  })

const main = Effect.gen(function*() {
  const started = performance.now()
  const server = yield* benchServer
  yield* section(hotPath(server))
  yield* section(clientInMemory)
  yield* section(endToEnd(server))
  yield* section(coldCallers(server))
  yield* section(tenants)
  yield* section(tenantsCold(server))
  yield* section(startUp)
  yield* section(replicas)
  const seconds = (performance.now() - started) / 1000
  writeFileSync(path.join(root, "BENCHMARKS.md"), report(seconds))
  writeFileSync(path.join(here, "ratios.svg"), chart(rows))
  for (const r of rows) {
    console.log(`${r.met ? "  " : "! "}${r.name}: ${r.figure} vs ${r.baseline} = ${r.ratio.toFixed(3)} [${r.spread}] (${r.target})`)
  }
  console.log(`wrote BENCHMARKS.md and bench/ratios.svg in ${seconds.toFixed(0)} s`)
})

Effect.runPromise(
  main.pipe(
    Effect.scoped,
    Effect.provide(NodeHttpClient.layerUndici),
    Logger.withMinimumLogLevel(LogLevel.None)
  )
).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
