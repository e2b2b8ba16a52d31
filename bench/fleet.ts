// 8. A fleet: 8 replica processes sharing Redis, against the same fleet without a store. The replicas start
// once Redis answers PING, and each reports whether its store answered, printed beside the row.
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { Context, Effect, Layer } from "effect"
import { execFileSync, spawn } from "node:child_process"
import { connect } from "node:net"
import * as path from "node:path"
import { here, root } from "./fixtures.js"
import { findings, fmt, log, percentile } from "./rounds.js"

/** What a replica prints: its callers' latencies, and whether its store answered before and after. */
interface ReplicaReport {
  readonly cold: Array<number>
  readonly expiry: Array<number>
  readonly store: { readonly before: string; readonly after: string }
}

/** Whether a Redis on `port` answers PING with PONG, within a second. */
const ping = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = connect({ host: "127.0.0.1", port })
    let answer = ""
    const done = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(1000, () => done(false))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (data) => {
      answer += String(data)
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"))
    })
    socket.on("error", () => done(false))
    return Effect.sync(() => socket.destroy())
  })

/** Waits until Redis answers PING, every 50 ms, for at most 10 s; answers how long it took, or fails. */
const untilPong = (port: number) =>
  Effect.gen(function*() {
    const start = performance.now()
    while (performance.now() - start < 10_000) {
      if (yield* ping(port)) return performance.now() - start
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.fail(new Error(`redis-server on port ${port} did not answer PING within 10 s`))
  })

/** How the replicas' stores answered, counted: `8 answered` or `6 answered, 2 unreachable: ...`. */
const storeSummary = (reports: ReadonlyArray<ReplicaReport>, when: "before" | "after") => {
  const counts = new Map<string, number>()
  for (const r of reports) counts.set(r.store[when], (counts.get(r.store[when]) ?? 0) + 1)
  return Array.from(counts, ([state, n]) => `${n} ${state}`).join(", ")
}

export const fleet = Effect.gen(function*() {
  yield* log("8. 8 replica processes sharing Redis")
  const found = findings()
  try {
    execFileSync("redis-server", ["--version"])
  } catch {
    found.notes.push("8. replicas: redis-server is not installed here, so this benchmark was skipped.")
    return found
  }
  const port = 20000 + Math.floor(Math.random() * 20000)
  const redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore"
  })
  yield* Effect.addFinalizer(() => Effect.sync(() => redis.kill("SIGKILL")))
  const waited = yield* untilPong(port)
  const context = yield* Layer.build(NodeSimulator.layer())
  const sim = Context.get(context, HosecloudSimulator.HosecloudSimulator)
  const url = Context.get(context, NodeSimulator.SimulatorAddress).url
  yield* sim.setTokenLifetime("10 seconds")
  const runFleet = (shared: boolean) =>
    Effect.promise(() => {
      let ready = 0
      const children: Array<ReturnType<typeof spawn>> = []
      return Promise.all(Array.from({ length: 8 }, () =>
        new Promise<ReplicaReport>((resolve, reject) => {
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
          children.push(child)
          let out = ""
          let err = ""
          let isReady = false
          child.stdout.on("data", (d) => {
            out += d
            if (!isReady && out.startsWith("ready\n")) {
              isReady = true
              // all ready: every replica's callers go at once
              if (++ready === 8) for (const c of children) c.stdin?.write("go\n")
            }
          })
          child.stderr.on("data", (d) => (err += d))
          child.on("close", (code) =>
            code === 0
              ? resolve(JSON.parse(out.trim().split("\n").at(-1) ?? ""))
              : reject(new Error(`replica exit ${code}: ${err.trim()}`)))
        })))
    })
  const before = yield* sim.count("v3.getAccessToken")
  const sharedRun = yield* runFleet(true)
  const sharedRequests = (yield* sim.count("v3.getAccessToken")) - before
  const beforeLocal = yield* sim.count("v3.getAccessToken")
  const localRun = yield* runFleet(false)
  const localRequests = (yield* sim.count("v3.getAccessToken")) - beforeLocal
  const p = (runs: ReadonlyArray<ReplicaReport>, key: "cold" | "expiry", q: number) =>
    percentile(runs.flatMap((r) => r[key]), q)
  const stores = `stores: ${storeSummary(sharedRun, "before")} at start, ${storeSummary(sharedRun, "after")} at the end`
  found.rows.push({
    name: "8 processes x 1,000 callers over Redis: token requests for a cold start and one refresh",
    figure: `${sharedRequests} requests (${stores})`,
    baseline: `${localRequests} without the store`,
    ratio: sharedRequests / 2,
    spread: "—",
    target: "1 per cycle",
    met: sharedRequests === 2,
    why: `Redis answered PING ${fmt(waited, 0)} ms after it was spawned, before any replica started; the replicas' ${stores}.`
  })
  found.rows.push({
    name: "shared read: cold-start latency p50 / p99, with Redis vs without",
    figure: `${fmt(p(sharedRun, "cold", 0.5), 1)} / ${fmt(p(sharedRun, "cold", 0.99), 1)} ms`,
    baseline: `${fmt(p(localRun, "cold", 0.5), 1)} / ${fmt(p(localRun, "cold", 0.99), 1)} ms`,
    ratio: p(sharedRun, "cold", 0.99) / p(localRun, "cold", 0.99),
    spread: "—",
    target: "(reported)",
    met: true
  })
  found.rows.push({
    name: "shared read: latency after the refresh p50 / p99, with Redis vs without",
    figure: `${fmt(p(sharedRun, "expiry", 0.5), 3)} / ${fmt(p(sharedRun, "expiry", 0.99), 3)} ms`,
    baseline: `${fmt(p(localRun, "expiry", 0.5), 3)} / ${fmt(p(localRun, "expiry", 0.99), 3)} ms`,
    ratio: p(sharedRun, "expiry", 0.99) / Math.max(p(localRun, "expiry", 0.99), 0.001),
    spread: "—",
    target: "(reported)",
    met: true
  })
  found.notes.push(
    `8. fleet: Redis answered PING ${fmt(waited, 0)} ms after it was spawned; the replicas started after that. ` +
      `With the store, the replicas' ${stores}.`
  )
  return found
})
