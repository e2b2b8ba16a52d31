// The core against the simulator, in memory and served over loopback: one token request for many
// concurrent callers, and InvalidKey and SystemError (with its traceId) as typed errors, counted.
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { Effect, Layer, Option, Redacted, Schedule } from "effect"
import assert from "node:assert/strict"
import { describe, it } from "node:test"
import { leaksOf } from "./support.mjs"

/** An effect's error or value, as data. */
const outcome = (effect) =>
  Effect.match(effect, { onFailure: (error) => ({ error }), onSuccess: (value) => ({ value }) })

const authOn = (options = {}) =>
  HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security"), ...options }).pipe(
    Layer.provideMerge(HosecloudSimulator.layer())
  )

const run = (program, layer) => Effect.runPromise(program.pipe(Effect.provide(layer)))

describe("HosecloudAuth on the in-memory simulator", () => {
  it("200 concurrent callers with no token share one token request", async () => {
    const result = await run(
      Effect.gen(function*() {
        const auth = yield* HosecloudAuth.HosecloudAuth
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        const tokens = yield* Effect.all(Array.from({ length: 200 }, () => auth.token), { concurrency: "unbounded" })
        const again = yield* auth.token
        return {
          distinct: new Set([...tokens, again].map((token) => Redacted.value(token.accessToken))).size,
          corpIds: new Set(tokens.map((token) => token.corpId)),
          requests: yield* sim.count("v3.getAccessToken")
        }
      }),
      authOn()
    )
    assert.equal(result.requests, 1)
    assert.equal(result.distinct, 1)
    assert.deepEqual([...result.corpIds], ["DEMOcorp00001"])
  })

  it("a wrong secret is InvalidKey, typed, asked once and then answered from memory", async () => {
    const secret = "not-the-secret-0b7e"
    const result = await run(
      Effect.gen(function*() {
        const auth = yield* HosecloudAuth.HosecloudAuth
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        const first = yield* outcome(auth.token)
        const second = yield* outcome(auth.token)
        return { first, second, requests: yield* sim.count("v3.getAccessToken"), invalid: yield* sim.count("v3.getAccessToken", "InvalidKey") }
      }),
      authOn({ appSecurity: Redacted.make(secret) })
    )
    assert.equal(result.first.error?._tag, "InvalidKey")
    assert.equal(result.second.error?._tag, "InvalidKey")
    assert.equal(result.requests, 1, "InvalidKey is never retried, and answered from memory")
    assert.equal(result.invalid, 1)
    assert.deepEqual(leaksOf(`${result.first.error.message} ${String(result.first.error)} ${JSON.stringify(result.first.error)}`, secret), [])
  })

  it("SystemError carries the traceId Hosecloud sent: three failures, three requests, the last traceId", async () => {
    const traceIds = ["4f1d0c2a9b8e7d6c5b4a39281706f5e4", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "c0ffee00c0ffee00c0ffee00c0ffee01"]
    const result = await run(
      Effect.gen(function*() {
        const auth = yield* HosecloudAuth.HosecloudAuth
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        yield* sim.script("token", ...traceIds.map((traceId) => HosecloudSimulator.Fault.systemError(traceId)))
        const failed = yield* outcome(auth.token)
        const failures = yield* sim.count("v3.getAccessToken", "SystemError")
        const later = yield* auth.token
        return { failed, failures, later, requests: yield* sim.count("v3.getAccessToken"), sent: yield* sim.traceIdsSent }
      }),
      authOn({ waitRetry: Schedule.recurs(2) })
    )
    const error = result.failed.error
    assert.equal(error?._tag, "SystemError")
    assert.equal(error.reason, "Upstream")
    assert.ok(Option.isOption(error.traceId), "traceId is an Option")
    assert.equal(Option.getOrUndefined(error.traceId), traceIds[2])
    assert.ok(error.message.includes(traceIds[2]), error.message)
    assert.equal(result.failures, 3)
    assert.deepEqual([...result.sent], traceIds)
    assert.equal(result.later.corpId, "DEMOcorp00001", "the next caller starts afresh and is served")
    assert.equal(result.requests, 4)
  })

  it("options are checked when the layer is built: a bad one is InvalidOptions naming it", async () => {
    const result = await Effect.runPromise(
      outcome(Effect.gen(function*() {
        return yield* HosecloudAuth.HosecloudAuth
      }).pipe(Effect.provide(authOn({ refreshWindow: "-1 minute" }))))
    )
    assert.equal(result.error?._tag, "InvalidOptions")
    assert.match(result.error.message, /refreshWindow/)
  })
})

describe("NodeHosecloud on a simulator served over loopback", () => {
  it("100 concurrent business calls with no token: one token request, every call answered", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const { url } = yield* NodeSimulator.SimulatorAddress
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        const statuses = yield* Effect.gen(function*() {
          const client = yield* HosecloudClient.HosecloudClient
          return yield* Effect.all(
            Array.from({ length: 100 }, () =>
              Effect.flatMap(client.get("/api/openapi/v1/corporations"), (response) => Effect.succeed(response.status))),
            { concurrency: "unbounded" }
          )
        }).pipe(
          Effect.provide(NodeHosecloud.layer({
            appKey: "demo-app-key",
            appSecurity: Redacted.make("demo-app-security"),
            authUrl: url,
            apiUrl: url
          }))
        )
        return { statuses, requests: yield* sim.count("v3.getAccessToken"), business: yield* sim.count("v1.corporations", "success") }
      }).pipe(Effect.provide(NodeSimulator.layer()))
    )
    assert.deepEqual([...new Set(result.statuses)], [200])
    assert.equal(result.requests, 1)
    assert.equal(result.business, 100)
  })
})
