// 9. Waiters: 2,000 tenants of one TenantRegistry of concurrency 64 asking for their first token at once,
// over an in-memory HttpClient that answers after 20 ms, against 2,000 fibers each taking one of 64 permits of
// Effect's Semaphore for one bare token request over the same client, read and decoded the same way. The
// tenants are built first (not measured): the row is their wait in turn and their flights.
import { AccessToken, type HosecloudAuth, TenantRegistry, TokenProtocol } from "@effect-hosecloud/core"
import { Effect, Exit, Redacted, Result, Scope, Semaphore } from "effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { whyByProfile } from "../../bench/profile.js"
import { cpuShares, memoryClient } from "./fixtures.js"
import { compareRow, findings, fmt, interleave, log } from "./rounds.js"

const waiters = 2_000
const permits = 64
const authUrl = "https://open.hosecloud.com"

export const waitersFamily = Effect.gen(function*() {
  yield* log(`9. ${waiters} tenants waiting on a registry of concurrency ${permits}, against Effect's Semaphore`)
  const found = findings()
  const http = memoryClient("20 millis")
  let round = 0
  /** `measure` of the first token of 2,000 tenants of a fresh registry, built first (not measured). */
  const withTenants = <A>(measure: (tokens: Effect.Effect<void>) => Effect.Effect<A>) =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const registry = yield* TenantRegistry.make({ concurrency: permits }).pipe(
        Effect.provideService(HttpClient.HttpClient, http),
        Scope.provide(scope),
        Effect.orDie
      )
      const prefix = `waiter-${round++}`
      const auths: Array<HosecloudAuth.Service> = []
      for (let i = 0; i < waiters; i++) {
        auths.push(
          yield* registry.get({ appKey: `${prefix}-${i}`, appSecurity: Redacted.make(`s${i}`), authUrl }).pipe(
            Scope.provide(scope),
            Effect.orDie
          )
        )
      }
      const result = yield* measure(
        Effect.orDie(Effect.forEach(auths, (auth) => auth.token, { concurrency: "unbounded", discard: true }))
      )
      yield* Scope.close(scope, Exit.void)
      return result
    })
  const bareRequest = Effect.gen(function*() {
    const sentAt = Date.now()
    const response = yield* http.execute(
      HttpClientRequest.post(`${authUrl}${TokenProtocol.v3Path}`).pipe(
        HttpClientRequest.acceptJson,
        HttpClientRequest.bodyJsonUnsafe({ appKey: "demo-app-key", appSecurity: "demo-app-security" })
      )
    )
    const { body, status } = yield* TokenProtocol.readAnswer(response, TokenProtocol.defaultMaxBodyBytes)
    const issued = TokenProtocol.decodeV3(status, body, TokenProtocol.serverTime(response))
    if (Result.isFailure(issued)) return yield* Effect.die(issued.failure)
    return AccessToken.fromIssued(issued.success, { sentAt, receivedAt: Date.now() })
  })
  const semaphoreRun = Effect.gen(function*() {
    const semaphore = yield* Semaphore.make(permits)
    yield* Effect.forEach(Array.from({ length: waiters }), () => semaphore.withPermits(1)(bareRequest), {
      concurrency: "unbounded",
      discard: true
    })
  }).pipe(Effect.orDie)
  const timed = (run: Effect.Effect<void>) =>
    Effect.gen(function*() {
      const start = performance.now()
      yield* run
      return performance.now() - start
    })
  const m = yield* interleave({ registry: withTenants(timed), semaphore: timed(semaphoreRun) })
  const row = compareRow({
    name: `${fmt(waiters, 0)} tenants' first tokens through a TenantRegistry of concurrency ${permits} vs ${
      fmt(waiters, 0)
    } bare token requests on Effect's Semaphore of ${permits} permits (in memory, answers after 20 ms; wall time)`,
    figure: m.registry,
    baseline: m.semaphore,
    unit: (n) => `${fmt(n, 0)} ms`,
    target: "≤ 1.2 (self-chosen)",
    met: (r) => r <= 1.2
  })
  if (row.met) {
    found.rows.push(row)
    return found
  }
  const tenantShares = yield* withTenants((run) => cpuShares(run, waiters))
  const semaphoreShares = yield* cpuShares(semaphoreRun, waiters)
  found.rows.push({
    ...row,
    why: `The floor is ${Math.ceil(waiters / permits)} waves of 20 ms (${Math.ceil(waiters / permits) * 20} ms); the rest ` +
      `is CPU. ${whyByProfile("a waiting tenant's first token", "a bare request on the Semaphore", tenantShares, semaphoreShares)}`
  })
  return found
})
