// The processes both lines' benchmarks start, with no Effect in them: the loopback server (bench/server.mjs,
// in a process of its own so that its work does not share the client's event loop), a Redis for the fleet,
// and the fleet's replica processes; and the fleet's rows, made the same way for both lines.
import { execFileSync, spawn } from "node:child_process"
import { connect } from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { findings, type Findings, fmt, percentile } from "./measure.js"

/** This folder (bench/) and the repository's root. */
export const here = path.dirname(fileURLToPath(import.meta.url))
export const root = path.resolve(here, "..")

export interface LoopbackServer {
  readonly url: string
  /** How many token requests it has answered. */
  readonly tokens: () => Promise<number>
  readonly kill: () => void
}

/** Starts bench/server.mjs on this process's Node; answers once it listens. */
export const startServer = (): Promise<LoopbackServer> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "server.mjs")], { stdio: ["ignore", "pipe", "inherit"] })
    child.once("error", reject)
    child.stdout.once("data", (line) => {
      const url = (JSON.parse(String(line)) as { url: string }).url
      const count = () => fetch(`${url}/bench/count`).then((r) => r.json() as Promise<{ tokens: number }>).then((r) => r.tokens)
      resolve({
        url,
        // once more on a failure: a kept-alive socket the server closed as idle fails the first try
        tokens: () => count().catch(count),
        kill: () => child.kill("SIGKILL")
      })
    })
  })

/** Whether a Redis on `port` answers PING with PONG, within a second. */
const ping = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: "127.0.0.1", port })
    let answer = ""
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.on("connect", () => socket.write("PING\r\n"))
    socket.on("data", (data) => {
      answer += String(data)
      if (answer.includes("\r\n")) done(answer.startsWith("+PONG"))
    })
    socket.on("error", () => done(false))
  })

export interface Redis {
  readonly port: number
  /** How long after it was spawned it answered PING, in ms. */
  readonly waited: number
  readonly kill: () => void
}

/** A Redis of its own on a random port, once it answers PING (every 50 ms, at most 10 s); undefined without redis-server. */
export const startRedis = async (): Promise<Redis | undefined> => {
  try {
    execFileSync("redis-server", ["--version"])
  } catch {
    return undefined
  }
  const port = 20000 + Math.floor(Math.random() * 20000)
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore"
  })
  const kill = () => child.kill("SIGKILL")
  const start = performance.now()
  while (performance.now() - start < 10_000) {
    if (await ping(port)) return { port, waited: performance.now() - start, kill }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  kill()
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s`)
}

/** What a replica prints: its callers' latencies, and whether its store answered before and after. */
export interface ReplicaReport {
  readonly cold: Array<number>
  readonly expiry: Array<number>
  readonly store: { readonly before: string; readonly after: string }
}

/**
 * `count` replica processes (`node --import tsx <script>` with `tsconfig` as tsx's tsconfig), each with
 * `SIM_URL`, `REDIS_URL` ("" for none) and `CALLERS`; all of them are told to go once every one is ready.
 */
export const runReplicas = (options: {
  readonly count: number
  readonly node: string
  readonly script: string
  readonly tsconfig: string
  readonly cwd: string
  readonly simUrl: string
  readonly redisUrl: string
}): Promise<Array<ReplicaReport>> => {
  let ready = 0
  const children: Array<ReturnType<typeof spawn>> = []
  return Promise.all(Array.from({ length: options.count }, () =>
    new Promise<ReplicaReport>((resolve, reject) => {
      const child = spawn(options.node, ["--import", "tsx", options.script], {
        cwd: options.cwd,
        env: {
          ...process.env,
          TSX_TSCONFIG_PATH: options.tsconfig,
          SIM_URL: options.simUrl,
          REDIS_URL: options.redisUrl,
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
          if (++ready === options.count) for (const c of children) c.stdin?.write("go\n")
        }
      })
      child.stderr.on("data", (d) => (err += d))
      child.on("close", (code) =>
        code === 0
          ? resolve(JSON.parse(out.trim().split("\n").at(-1) ?? ""))
          : reject(new Error(`replica exit ${code}: ${err.trim()}`)))
    })))
}

/** How the replicas' stores answered, counted: `8 answered` or `6 answered, 2 unreachable: ...`. */
const storeSummary = (reports: ReadonlyArray<ReplicaReport>, when: "before" | "after") => {
  const counts = new Map<string, number>()
  for (const r of reports) counts.set(r.store[when], (counts.get(r.store[when]) ?? 0) + 1)
  return Array.from(counts, ([state, n]) => `${n} ${state}`).join(", ")
}

/** The fleet's rows: token requests with the store and without, and the callers' latencies. */
export const fleetFindings = (options: {
  readonly waited: number
  readonly shared: ReadonlyArray<ReplicaReport>
  readonly sharedRequests: number
  readonly local: ReadonlyArray<ReplicaReport>
  readonly localRequests: number
}): Findings => {
  const found = findings()
  const { local, localRequests, shared, sharedRequests, waited } = options
  const p = (runs: ReadonlyArray<ReplicaReport>, key: "cold" | "expiry", q: number) =>
    percentile(runs.flatMap((r) => r[key]), q)
  const stores = `stores: ${storeSummary(shared, "before")} at start, ${storeSummary(shared, "after")} at the end`
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
    figure: `${fmt(p(shared, "cold", 0.5), 1)} / ${fmt(p(shared, "cold", 0.99), 1)} ms`,
    baseline: `${fmt(p(local, "cold", 0.5), 1)} / ${fmt(p(local, "cold", 0.99), 1)} ms`,
    ratio: p(shared, "cold", 0.99) / p(local, "cold", 0.99),
    spread: "—",
    target: "(reported)",
    met: true
  })
  found.rows.push({
    name: "shared read: latency after the refresh p50 / p99, with Redis vs without",
    figure: `${fmt(p(shared, "expiry", 0.5), 3)} / ${fmt(p(shared, "expiry", 0.99), 3)} ms`,
    baseline: `${fmt(p(local, "expiry", 0.5), 3)} / ${fmt(p(local, "expiry", 0.99), 3)} ms`,
    ratio: p(shared, "expiry", 0.99) / Math.max(p(local, "expiry", 0.99), 0.001),
    spread: "—",
    target: "(reported)",
    met: true
  })
  found.notes.push(
    `8. fleet: Redis answered PING ${fmt(waited, 0)} ms after it was spawned; the replicas started after that. ` +
      `With the store, the replicas' ${stores}.`
  )
  return found
}
