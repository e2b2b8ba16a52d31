// What the families of pnpm bench share: the credentials, the loopback server in a process of its own, an
// in-memory HttpClient with next to no cost of its own, and a sampling CPU profile by whose code ran.
import { TokenProtocol } from "@effect-hosecloud/core"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as inspector from "node:inspector/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const here = path.dirname(fileURLToPath(import.meta.url))
export const root = path.resolve(here, "..")

export const credentials = { appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }
export const corporationsPath = "/api/openapi/v1/corporations"

// the end-to-end server, in a process of its own -----------------------------------------------------

export interface BenchServer {
  readonly url: string
  /** How many token requests it has answered. */
  readonly tokens: Effect.Effect<number>
}

export const benchServer = Effect.map(
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
export const memoryClient = (): HttpClient.HttpClient => {
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

// where the CPU time goes -----------------------------------------------------------------------------

/** Whose code a CPU sample fell in, from its script's URL. */
const categoryOf = (url: string, functionName: string): string => {
  if (functionName === "(garbage collector)") return "garbage collection"
  if (url.includes("/@effect/platform/") || url.includes("/platform/dist/")) return "@effect/platform"
  if (url.includes("/effect/dist/")) return "effect (runtime, fibers, data types)"
  if (url.includes("/packages/core/dist/") || url.includes("/packages/core/src/")) return "this library"
  if (url === "" || url.startsWith("node:") || !url.includes("/")) return "Node (fetch Response, AbortController, streams)"
  return "other (the bench itself)"
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** CPU µs per unit of work, by category and by function. */
export interface Shares {
  readonly categories: ReadonlyMap<string, number>
  readonly functions: ReadonlyMap<string, number>
}

/** A sampling profile of `run`, as µs per unit (`units` of them) by category, and by function. */
export const cpuShares = <E, R>(run: Effect.Effect<unknown, E, R>, units: number): Effect.Effect<Shares, E, R> =>
  Effect.gen(function*() {
    const session = new inspector.Session()
    session.connect()
    const post = <T>(method: string, params?: object) => Effect.promise(() => session.post(method, params) as Promise<T>)
    yield* post("Profiler.enable")
    yield* post("Profiler.setSamplingInterval", { interval: 200 })
    yield* post("Profiler.start")
    yield* run
    const { profile } = yield* post<{ profile: CpuProfile }>("Profiler.stop")
    session.disconnect()
    const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
    const categories = new Map<string, number>()
    const functions = new Map<string, number>()
    profile.samples.forEach((id, i) => {
      const frame = byNode.get(id)?.callFrame
      if (frame === undefined || frame.functionName === "(idle)" || frame.functionName === "(program)") return
      const category = categoryOf(frame.url, frame.functionName)
      categories.set(category, (categories.get(category) ?? 0) + profile.timeDeltas[i] / units)
      const where = `${frame.functionName === "" ? "(anonymous)" : frame.functionName} (${
        frame.url === "" ? "native" : frame.url.split("/").slice(-2).join("/")
      })`
      functions.set(where, (functions.get(where) ?? 0) + profile.timeDeltas[i] / units)
    })
    return { categories, functions }
  })

/** The sum of a profile's shares. */
export const total = (m: ReadonlyMap<string, number>): number => Array.from(m.values()).reduce((a, b) => a + b, 0)

/** Where `a` costs more CPU than `b` (profiles of as many units of work each), in words. */
export const whyByProfile = (aName: string, bName: string, pa: Shares, pb: Shares): string => {
  const more = (key: string) => ((pa.categories.get(key) ?? 0) - (pb.categories.get(key) ?? 0)).toFixed(1)
  const top = Array.from(new Set([...pa.functions.keys(), ...pb.functions.keys()]))
    .map((name) => [name, (pa.functions.get(name) ?? 0) - (pb.functions.get(name) ?? 0)] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 10)
    .map(([name, micros]) => `${name} +${micros.toFixed(1)} µs`)
    .join(", ")
  return `A sampling profile of each: ${aName} cost ${(total(pa.categories) - total(pb.categories)).toFixed(1)} µs ` +
    `of CPU per unit more than ${bName} (${total(pa.categories).toFixed(1)} against ${
      total(pb.categories).toFixed(1)
    }): ${more("effect (runtime, fibers, data types)")} µs in Effect's runtime, ${more("this library")} µs in this ` +
    `library's code, ${more("garbage collection")} µs in garbage collection, ${
      more("Node (fetch Response, AbortController, streams)")
    } µs in Node and ${more("@effect/platform")} µs in @effect/platform. The functions that cost it the most ` +
    `more: ${top}.`
}
