// Workflows tested on the in-memory simulator: no socket, and TestClock drives its clock.
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"

const corporation = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
  client.get("/api/openapi/v1/corporations").pipe(Effect.flatMap(HosecloudClient.filterOk)))

const TestLive = HosecloudClient.layer().pipe(
  Layer.provideMerge(HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") })),
  Layer.provideMerge(HosecloudSimulator.layer())
)

it.effect("a revoked token costs one new token, not a failure", () =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.HosecloudSimulator
    yield* corporation
    yield* sim.revoke()
    yield* corporation
    assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
  }).pipe(Effect.provide(TestLive)))
