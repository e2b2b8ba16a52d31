import { HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Metric, Schedule } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { observe } from "./utils/observe.js"
import { setup, tokenRequests } from "./utils/setup.js"

const requestsCounter = Metric.withAttributes(HosecloudAuth.metrics.requests, { "hosecloud.protocol": "v3" })
const failuresOf = (tag: string) =>
  Metric.withAttributes(HosecloudAuth.metrics.failures, { "hosecloud.protocol": "v3", tag })
const countOf = (metric: Metric.Counter<number>) => Effect.map(Metric.value(metric), (s) => s.count)

describe("10. observability", () => {
  it.effect("a span per token request, with its outcome", () =>
    Effect.gen(function*() {
      const { spans } = yield* observe(Effect.gen(function*() {
        const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0) })
        yield* auth.token
        yield* sim.script("token", HosecloudSimulator.Fault.systemError("0123456789abcdef0123456789abcdef"))
        yield* Effect.flip(auth.refresh)
        yield* sim.script("token", HosecloudSimulator.Fault.invalidKey())
        yield* Effect.flip(auth.refresh)
      }))
      const requests = spans.filter((s) => s.name === "HosecloudAuth.request")
      assert.deepStrictEqual(requests.map((s) => s.attributes.get("hosecloud.outcome")), [
        "success",
        "SystemError",
        "InvalidKey"
      ])
      assert.strictEqual(requests[1].attributes.get("hosecloud.trace_id"), "0123456789abcdef0123456789abcdef")
      assert.isTrue(requests.every((s) => s.attributes.get("hosecloud.protocol") === "v3"))
      assert.strictEqual(requests[0].attributes.get("hosecloud.corp_id"), "DEMOcorp00001")
    }))

  it.effect("counters of requests, failures by tag and refreshes; a gauge of seconds to expiry", () =>
    Effect.gen(function*() {
      const before = {
        requests: yield* countOf(requestsCounter),
        system: yield* countOf(failuresOf("SystemError")),
        invalid: yield* countOf(failuresOf("InvalidKey")),
        refreshes: yield* countOf(HosecloudAuth.metrics.refreshes)
      }
      const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0) })
      yield* auth.token
      yield* auth.refresh
      yield* sim.script("token", HosecloudSimulator.Fault.systemError(), HosecloudSimulator.Fault.invalidKey())
      yield* Effect.flip(auth.refresh)
      yield* Effect.flip(auth.refresh)
      assert.strictEqual((yield* countOf(requestsCounter)) - before.requests, 4)
      assert.strictEqual((yield* countOf(failuresOf("SystemError"))) - before.system, 1)
      assert.strictEqual((yield* countOf(failuresOf("InvalidKey"))) - before.invalid, 1)
      assert.strictEqual((yield* countOf(HosecloudAuth.metrics.refreshes)) - before.refreshes, 1)
      assert.strictEqual(yield* tokenRequests(sim), 4)
      const gauge = yield* Metric.value(HosecloudAuth.metrics.secondsToExpiry)
      assert.isAbove(gauge.value, 7190)
      assert.isAtMost(gauge.value, 7200)
    }))

  it.effect("Info on each new token with corpId, scope and expiry; Warning on each failure with tag and traceId", () =>
    Effect.gen(function*() {
      const { logs } = yield* observe(Effect.gen(function*() {
        const { auth, sim } = yield* setup({ waitRetry: Schedule.recurs(0) })
        yield* auth.token
        yield* sim.script("token", HosecloudSimulator.Fault.systemError("fedcba9876543210fedcba9876543210"))
        yield* Effect.flip(auth.refresh)
      }))
      const info = logs.filter((l) => l.level === "Info")
      assert.strictEqual(info.length, 1)
      assert.strictEqual(info[0].annotations.corpId, "DEMOcorp00001")
      assert.strictEqual(info[0].annotations.scope, "tenant")
      assert.strictEqual(info[0].annotations.expiresAt, "1970-01-01T01:59:59.001Z")
      const warnings = logs.filter((l) => l.level === "Warn")
      assert.strictEqual(warnings.length, 1)
      assert.strictEqual(warnings[0].annotations.tag, "SystemError")
      assert.strictEqual(warnings[0].annotations.traceId, "fedcba9876543210fedcba9876543210")
    }))
})

describe("11. hot path", () => {
  it.effect("a valid cached token is served synchronously: no request, no fiber, no wait", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      const context = yield* Effect.context<never>()
      // runSync throws if the effect would suspend (a lock, a Deferred, a forked fiber to join)
      for (let i = 0; i < 1000; i++) assert.strictEqual(Effect.runSyncWith(context)(auth.token), first)
      assert.strictEqual(yield* tokenRequests(sim), 1)
    }))

  it.effect("a token being refreshed in the background is still served synchronously", () =>
    Effect.gen(function*() {
      const { auth, sim } = yield* setup()
      const first = yield* auth.token
      yield* sim.script("token", HosecloudSimulator.Fault.delay("1 hour"))
      const refreshing = yield* Effect.forkChild(auth.refresh)
      yield* TestClock.adjust("1 second")
      const context = yield* Effect.context<never>()
      assert.strictEqual(Effect.runSyncWith(context)(auth.token), first)
      yield* Fiber.interrupt(refreshing)
    }))
})
