// 5-6. Tenants on the Effect 4 line: the heap an active tenant holds, and 5,000 tenants cold at once over loopback against as
// many bare token requests at the same concurrency.
import { HosecloudAuth, TenantRegistry, TokenProtocol } from "@effect-hosecloud/core"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { Deferred, Effect, Exit, PubSub, RcMap, Redacted, Result, Schedule, Scope } from "effect"
import { whyByProfile } from "../../bench/profile.js"
import { type BenchServer, cpuShares, memoryClient } from "./fixtures.js"
import { findings, heap, interleave, log, tenantHeapRows, tenantHeapTtl, tenantOf } from "./rounds.js"
import { partsFindings, tenantsColdRow } from "../../bench/rows.js"

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

const tenant = tenantOf(Redacted.make)

export const tenantHeap = Effect.gen(function*() {
  yield* log("5. heap per tenant")
  const found = findings()
  const count = 10_000
  const base = heap()
  // where an active tenant's heap goes: its parts, and Effect's primitives, measured the same way
  const parts: Array<readonly [string, number]> = []
  // an idle time-to-live long enough that no tenant is released before the last one is filled, on a loaded
  // machine too (the count held when the heap is measured is checked); then the registry is closed, which
  // releases every tenant
  const registryScope = yield* Scope.make()
  const registry = yield* TenantRegistry.make({ idleTimeToLive: tenantHeapTtl }).pipe(
    Effect.provideService(HttpClient.HttpClient, memoryClient()),
    Scope.provide(registryScope)
  )
  yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), (i) => registry.token(tenant(i)), {
    concurrency: 100,
    discard: true
  })
  const active = (heap() - base) / count / 1024
  const held = yield* registry.size
  yield* Scope.close(registryScope, Exit.void)
  const released = (heap() - base) / count / 1024
  found.rows.push(...tenantHeapRows(count, held, active, released))

  const many = 2_000
  const scope = yield* Scope.make()
  const http = memoryClient()
  const auth = (i: number) =>
    HosecloudAuth.make(tenant(i)).pipe(Effect.provideService(HttpClient.HttpClient, http), Scope.provide(scope))
  const protocol = yield* TokenProtocol.v3(tenant(0)).pipe(Effect.provideService(HttpClient.HttpClient, http))
  parts.push(
    ["a token as decoded (AccessToken, its strings and dates)", yield* heapOf(many, () => protocol.issue)],
    ["a HosecloudAuth on its own, no token yet", yield* heapOf(many, auth)],
    ["the same holding a token, its refresh scheduled", yield* heapOf(many, (i) => Effect.tap(auth(i), (a) => a.token))],
    ["a fiber forked into a scope, asleep", yield* heapOf(many, () => Effect.forkIn(Effect.sleep("1 hour"), scope))],
    ["a fiber asleep in Effect.scheduleFrom (a refresher as a fiber)", yield* heapOf(many, () =>
      Effect.forkIn(Effect.scheduleFrom(Effect.void, 0, Schedule.spaced("1 hour")), scope))],
    ["an RcMap holding one idle entry (its scope and idle-time fiber)", yield* heapOf(many, (i) =>
      Effect.flatMap(RcMap.make({ lookup: (key: number) => Effect.succeed(key), idleTimeToLive: "1 hour" }), (map) =>
        Effect.as(Effect.scoped(RcMap.get(map, i)), map)).pipe(Scope.provide(scope)))],
    ["an unbounded PubSub (made only when someone subscribes)", yield* heapOf(many, () => PubSub.unbounded<number>())],
    ["a Deferred", yield* heapOf(many, () => Deferred.make<number>())]
  )
  yield* Scope.close(scope, Exit.void)
  const asleep = parts.find(([name]) => name.startsWith("a fiber forked into a scope"))?.[1] ?? Number.NaN
  partsFindings(
    found,
    parts,
    "The registry's one stand-in for an Effect primitive: every tenant's refresh wake-up and idle release is a " +
      "deadline in one heap of the registry, with one fiber asleep until the earliest, in place of a fiber asleep " +
      `per wake-up (${asleep.toFixed(2)} KiB each, above) and the idle-time fiber of each \`RcMap\` entry; with ` +
      "those two fibers and a copy of the caller's context per tenant, an active tenant measured 11.7 KiB, over " +
      "the 8 KiB target (the measurement is in effect4/packages/core/DIFFERENCES.md). Flights are bounded by " +
      "Effect's own Semaphore: the waiters row shows it needs no stand-in."
  )
  return found
})

export const tenantsCold = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("6. 5,000 tenants cold at once over loopback, against 5,000 bare token requests")
    const found = findings()
    const http = yield* HttpClient.HttpClient
    const count = 5_000
    let round = 0
    const outcomes: Array<{ readonly served: number; readonly requests: number; readonly failure?: string | undefined }> = []
    const cold = Effect.scoped(Effect.gen(function*() {
      const registry = yield* TenantRegistry.make()
      const prefix = `cold-${round++}`
      const before = yield* server.tokens
      const start = performance.now()
      const results = yield* Effect.all(
        Array.from({ length: count }, (_, i) =>
          Effect.result(registry.token({
            appKey: `${prefix}-${i}`,
            appSecurity: Redacted.make(`secret-${i}`),
            authUrl: server.url
          }))),
        { concurrency: "unbounded" }
      )
      const elapsed = performance.now() - start
      const failed = results.find(Result.isFailure)
      outcomes.push({
        served: results.filter(Result.isSuccess).length,
        requests: (yield* server.tokens) - before,
        failure: failed === undefined ? undefined : `${failed.failure._tag}: ${failed.failure.message}`
      })
      return elapsed
    }))
    // the same number of token requests, at the registry's concurrency, each answer read and decoded
    const bareRequest = (i: number) =>
      Effect.flatMap(
        http.execute(
          HttpClientRequest.post(`${server.url}${TokenProtocol.v3Path}`).pipe(
            HttpClientRequest.acceptJson,
            HttpClientRequest.bodyJsonUnsafe({ appKey: `bare-${i}`, appSecurity: `secret-${i}` })
          )
        ),
        (response) =>
          Effect.map(
            TokenProtocol.readAnswer(response, TokenProtocol.defaultMaxBodyBytes),
            ({ body, status }) => TokenProtocol.decodeV3(status, body)
          )
      )
    const bare = Effect.gen(function*() {
      const start = performance.now()
      yield* Effect.forEach(Array.from({ length: count }, (_, i) => i), bareRequest, {
        concurrency: TenantRegistry.defaultConcurrency,
        discard: true
      })
      return performance.now() - start
    })
    const m = yield* interleave({ cold, bare }, { warmUp: false })
    const row = tenantsColdRow(m, outcomes, count, TenantRegistry.defaultConcurrency)
    const why = row.met ? undefined : whyByProfile(
      "a cold tenant",
      "a bare token request",
      yield* cpuShares(cold, count),
      yield* cpuShares(bare, count)
    )
    // the error a tenant failed with, if any did, then where the time goes
    found.rows.push({ ...row, why: [row.why, why].filter((text) => text !== undefined).join(" ") || undefined })
    return found
  })
