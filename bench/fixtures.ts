// What the families of pnpm bench share: the credentials, the loopback server in a process of its own, an
// in-memory HttpClient with next to no cost of its own, and a sampling CPU profile by whose code ran.
import { TokenProtocol } from "@effect-hosecloud/core"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Redacted } from "effect"
import { businessAnswer, tokenAnswer } from "./measure.js"
import { startServer } from "./processes.js"
import { profiler, type Shares } from "./profile.js"

export { here, root } from "./processes.js"
export { type Shares, total, whyByProfile } from "./profile.js"

export const credentials = { appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }
export const corporationsPath = "/api/openapi/v1/corporations"

// the end-to-end server, in a process of its own (bench/processes.ts) -------------------------------

export interface BenchServer {
  readonly url: string
  /** How many token requests it has answered. */
  readonly tokens: Effect.Effect<number>
}

export const benchServer = Effect.map(
  Effect.acquireRelease(Effect.promise(startServer), (server) => Effect.sync(server.kill)),
  (server): BenchServer => ({ url: server.url, tokens: Effect.promise(server.tokens) })
)

// an in-memory HTTP exchange with next to no cost of its own ------------------------------------------

/** Answers the v3 token endpoint (a new token per request) and any other request with a small JSON body. */
export const memoryClient = (): HttpClient.HttpClient => {
  let issued = 0
  return HttpClient.make((request) =>
    Effect.sync(() => {
      if (request.url.endsWith(TokenProtocol.v3Path)) {
        issued++
        const body = tokenAnswer(issued)
        return HttpClientResponse.fromWeb(request, new Response(body, { headers: { "content-type": "application/json" } }))
      }
      return HttpClientResponse.fromWeb(request, new Response(businessAnswer, { headers: { "content-type": "application/json" } }))
    })
  )
}

// where the CPU time goes (bench/profile.ts) ----------------------------------------------------------

/** A sampling profile of `run`, as µs per unit (`units` of them) by category, and by function. */
export const cpuShares = <E, R>(run: Effect.Effect<unknown, E, R>, units: number): Effect.Effect<Shares, E, R> =>
  Effect.gen(function*() {
    const session = profiler()
    yield* Effect.promise(session.start)
    yield* run
    return yield* Effect.promise(() => session.stop(units))
  })
