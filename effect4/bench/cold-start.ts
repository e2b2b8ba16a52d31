// 4. Cold start on the Effect 4 line: many callers of one cold HosecloudAuth, and what one cold flight costs against the one
// token request it makes.
import { AccessToken, HosecloudAuth, TokenProtocol } from "@effect-hosecloud/core"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { Deferred, Effect, Exit, Fiber, Result, Scope } from "effect"
import { whyByProfile } from "../../bench/profile.js"
import { type BenchServer, cpuShares, credentials, memoryClient } from "./fixtures.js"
import { cpuNow, findings, heap, interleave, log } from "./rounds.js"
import { coldCallersRow, coldFlightRow, handWrittenCache } from "../../bench/rows.js"

const tokenRequest = (authUrl: string) =>
  HttpClientRequest.post(`${authUrl}${TokenProtocol.v3Path}`).pipe(
    HttpClientRequest.acceptJson,
    HttpClientRequest.bodyJsonUnsafe({ appKey: credentials.appKey, appSecurity: "demo-app-security" })
  )

export const coldCallers = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("4. 10,000 cold callers")
    const found = findings()
    const http = yield* HttpClient.HttpClient
    const callers = 10_000
    const bareRequest = Effect.flatMap(http.execute(tokenRequest(server.url)), (r) => r.json)
    const requests: Array<number> = []
    // the floor: 10,000 fibers waiting on one Deferred, completed after one bare token request
    const floor = Effect.gen(function*() {
      const start = performance.now()
      const done = yield* Deferred.make<unknown>()
      const waiting = yield* Effect.forkChild(
        Effect.all(Array.from({ length: callers }, () => Deferred.await(done)), { concurrency: "unbounded", discard: true })
      )
      yield* Deferred.succeed(done, yield* bareRequest)
      yield* Fiber.await(waiting)
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
    const m = yield* interleave({ library, floor }, { warmUp: false })
    const row = coldCallersRow(m, requests)
    // where the callers' time goes, when the target is missed: both sides profiled, per caller
    found.rows.push(row.met ? row : {
      ...row,
      why: `${row.why} ${
        whyByProfile(
          "a cold caller (its share of the flight included)",
          "a fiber awaiting the Deferred (its share of the bare request included)",
          yield* cpuShares(library, callers),
          yield* cpuShares(floor, callers)
        )
      }`
    })
    // the kind of cache SDKs ship: an async function with a cached value, and no single flight
    found.rows.push(yield* Effect.promise(() => handWrittenCache(server.url, callers, () => Effect.runPromise(server.tokens))))
    return found
  })

/**
 * CPU time of one cold flight in memory (the first `token` of a fresh `HosecloudAuth`: the engine's flight,
 * its attempt, span, metrics and events, the request, the answer read and decoded, the token stored) against
 * one bare token request through the same `HttpClient`, its answer read and decoded the same way.
 */
export const coldFlight = Effect.gen(function*() {
  yield* log("4b. a cold flight in memory vs one bare token request")
  const found = findings()
  const http = memoryClient()
  const flights = 1_000
  const authUrl = "https://open.hosecloud.com"
  const bare = Effect.gen(function*() {
    const sentAt = Date.now()
    const response = yield* http.execute(tokenRequest(authUrl))
    const { body, status } = yield* TokenProtocol.readAnswer(response, TokenProtocol.defaultMaxBodyBytes)
    const issued = TokenProtocol.decodeV3(status, body, TokenProtocol.serverTime(response))
    if (Result.isFailure(issued)) return yield* Effect.die(issued.failure)
    return AccessToken.fromIssued(issued.success, { sentAt, receivedAt: Date.now() })
  })
  /** `measure` of the first token of `flights` fresh services, made first (not measured). */
  const withFreshServices = <A>(measure: (flights: Effect.Effect<void>) => Effect.Effect<A>) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const auths: Array<HosecloudAuth.Service> = []
      for (let i = 0; i < flights; i++) {
        auths.push(
          yield* HosecloudAuth.make({ ...credentials, authUrl }).pipe(
            Effect.provideService(HttpClient.HttpClient, http),
            Scope.provide(scope),
            Effect.orDie
          )
        )
      }
      const result = yield* measure(Effect.orDie(Effect.forEach(auths, (auth) => auth.token, { discard: true })))
      yield* Scope.close(scope, Exit.void)
      return result
    })
  /** CPU µs per flight. */
  const cold = withFreshServices((run) =>
    Effect.gen(function*() {
      heap()
      const start = cpuNow()
      yield* run
      return (cpuNow() - start) / flights
    })
  )
  const bareRound = Effect.gen(function*() {
    heap()
    const start = cpuNow()
    for (let i = 0; i < flights; i++) yield* bare
    return (cpuNow() - start) / flights
  })
  const m = yield* interleave({ cold, bare: bareRound })
  const row = coldFlightRow(m)
  if (row.met) {
    found.rows.push(row)
    return found
  }
  // where a flight's time goes, when the target is missed
  const flightShares = yield* withFreshServices((run) => cpuShares(run, flights))
  const bareShares = yield* cpuShares(Effect.repeat(bare, { times: flights - 1 }), flights)
  const why = whyByProfile("a cold flight", "a bare token request", flightShares, bareShares)
  found.rows.push({
    ...row,
    why: `${why} (The engine's flight, its single-flight state and the bound on the callers' wait, is measured as it ` +
      "is in this build.)"
  })
  return found
})
