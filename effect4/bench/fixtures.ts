// What the Effect 4 line's families share: the credentials, the loopback server (bench/processes.ts), an
// in-memory HttpClient of Effect 4 with next to no cost of its own (or a fixed delay), a sampling CPU profile.
import { TokenProtocol } from "@effect-hosecloud/core"
import { type Duration, Effect, Redacted } from "effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { businessAnswer, tokenAnswer } from "../../bench/measure.js"
import { startServer } from "../../bench/processes.js"
import { profiler, type Shares } from "../../bench/profile.js"

/** This folder (effect4/bench) and effect4/. */
export const here = path.dirname(fileURLToPath(import.meta.url))
export const effect4Root = path.resolve(here, "..")

export const credentials = { appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }
export const corporationsPath = "/api/openapi/v1/corporations"

export interface BenchServer {
  readonly url: string
  /** How many token requests it has answered. */
  readonly tokens: Effect.Effect<number>
}

export const benchServer = Effect.map(
  Effect.acquireRelease(Effect.promise(startServer), (server) => Effect.sync(server.kill)),
  (server): BenchServer => ({ url: server.url, tokens: Effect.promise(server.tokens) })
)

/**
 * Answers the v3 token endpoint (a new token per request) and any other request with a small JSON body, at
 * once or after `delay`.
 */
export const memoryClient = (delay?: Duration.Input): HttpClient.HttpClient => {
  let issued = 0
  const answer = (request: Parameters<typeof HttpClientResponse.fromWeb>[0]) => {
    if (request.url.endsWith(TokenProtocol.v3Path)) {
      issued++
      return HttpClientResponse.fromWeb(request, new Response(tokenAnswer(issued), { headers: { "content-type": "application/json" } }))
    }
    return HttpClientResponse.fromWeb(request, new Response(businessAnswer, { headers: { "content-type": "application/json" } }))
  }
  return HttpClient.make((request) =>
    delay === undefined ? Effect.sync(() => answer(request)) : Effect.map(Effect.sleep(delay), () => answer(request))
  )
}

/** A sampling profile of `run`, as µs per unit (`units` of them) by category, and by function. */
export const cpuShares = <E, R>(run: Effect.Effect<unknown, E, R>, units: number): Effect.Effect<Shares, E, R> =>
  Effect.gen(function*() {
    const session = profiler()
    yield* Effect.promise(session.start)
    yield* run
    return yield* Effect.promise(() => session.stop(units))
  })
