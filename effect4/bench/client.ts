// 2-3. The Effect 4 line's HosecloudClient's own cost: in memory (CPU time per request against a bare HttpClient and the
// smallest idiomatic wrapper that reads a token), and end to end over loopback (throughput, p99).
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import { Effect, Redacted, Ref } from "effect"
import {
  type BenchServer,
  corporationsPath,
  cpuShares,
  credentials,
  memoryClient
} from "./fixtures.js"
import { clientWhy, profileTable, type Shares } from "../../bench/profile.js"
import { findings, heap, interleave, log, microsPer, percentile } from "./rounds.js"
import { clientRows, loopbackRows } from "../../bench/rows.js"

const apiUrl = "https://app.ekuaibao.com"

export const clientInMemory = Effect.gen(function*() {
  yield* log("2. HosecloudClient vs a bare HttpClient, in memory")
  const found = findings()
  const http = memoryClient()
  const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: "https://open.hosecloud.com" }).pipe(
    Effect.provideService(HttpClient.HttpClient, http)
  )
  const client = yield* HosecloudClient.make({ apiUrl }).pipe(
    Effect.provideService(HosecloudAuth.HosecloudAuth, auth),
    Effect.provideService(HttpClient.HttpClient, http)
  )
  const fixed = Redacted.value((yield* auth.token).accessToken)
  // the floor: the smallest idiomatic Effect client that puts the host in front and reads a token
  const current = yield* Ref.make(fixed)
  const minimal = http.pipe(
    HttpClient.mapRequest(HttpClientRequest.prependUrl(apiUrl)),
    HttpClient.mapRequestEffect((request) =>
      Effect.map(Ref.get(current), (token) => HttpClientRequest.setUrlParam(request, "accessToken", token))
    )
  )
  const requests = {
    client: Effect.asVoid(client.get(corporationsPath)),
    minimal: Effect.asVoid(minimal.get(corporationsPath)),
    bare: Effect.asVoid(http.execute(
      HttpClientRequest.get(`${apiUrl}${corporationsPath}`).pipe(HttpClientRequest.setUrlParam("accessToken", fixed))
    ))
  }
  const n = 10_000
  for (const tracing of [true, false]) {
    const m = yield* interleave({
      client: Effect.withTracerEnabled(microsPer(requests.client, n), tracing),
      minimal: Effect.withTracerEnabled(microsPer(requests.minimal, n), tracing),
      bare: Effect.withTracerEnabled(microsPer(requests.bare, n), tracing)
    })
    found.rows.push(...clientRows(tracing, m))
  }
  // where the time goes: a CPU profile of each, tracing off, by whose code ran and by function
  const profiles: Array<readonly [string, Shares]> = []
  for (const [name, request] of [["HosecloudClient", requests.client], ["bare HttpClient", requests.bare]] as const) {
    heap()
    const shares = yield* cpuShares(Effect.withTracerEnabled(Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* request
    }), false), n)
    profiles.push([name, shares])
  }
  found.sections.push(profileTable(profiles[0][0], profiles[0][1], profiles[1][0], profiles[1][1]))
  const why = clientWhy(profiles[0][1], profiles[1][1])
  found.rows.forEach((row, i) => {
    if (!row.met) found.rows[i] = { ...row, why }
  })
  return found
})

export const clientOverLoopback = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("3. end to end over loopback")
    const found = findings()
    const http = yield* HttpClient.HttpClient
    const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: server.url })
    const client = yield* HosecloudClient.make({ apiUrl: server.url }).pipe(
      Effect.provideService(HosecloudAuth.HosecloudAuth, auth)
    )
    const fixed = Redacted.value((yield* auth.token).accessToken)
    const viaClient = Effect.flatMap(client.get(corporationsPath), (r) => r.arrayBuffer)
    const bare = Effect.flatMap(
      http.execute(
        HttpClientRequest.get(`${server.url}${corporationsPath}`).pipe(HttpClientRequest.setUrlParam("accessToken", fixed))
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
    const m = yield* interleave({ client: run(viaClient, 2000), bare: run(bare, 2000) }, { warmUp: false })
    found.rows.push(...loopbackRows(m))
    return found
  })
