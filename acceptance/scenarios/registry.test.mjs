// TenantRegistry with several tenants on one simulator: each tenant's callers share one token request,
// each gets its own corp's token, a refused tenant fails alone, and credentials refused by their form never
// reach the network.
import { TenantRegistry } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { Effect, Layer, Redacted } from "effect"
import assert from "node:assert/strict"
import { describe, it } from "node:test"

const tenants = Array.from({ length: 6 }, (_, i) => ({
  appKey: `tenant-key-${i}`,
  appSecurity: `tenant-secret-${i}-8c1f`,
  corpId: `ACCcorp0000${i}`
}))

const outcome = (effect) =>
  Effect.match(effect, { onFailure: (error) => ({ error }), onSuccess: (value) => ({ value }) })

const Live = TenantRegistry.layer({ idleTimeToLive: "10 minutes" }).pipe(
  Layer.provideMerge(HosecloudSimulator.layer({ credentials: tenants.map(({ appKey, appSecurity, corpId }) => ({ appKey, appSecurity, corpId })) }))
)

describe("TenantRegistry with several tenants", () => {
  it("6 tenants x 30 concurrent callers: one token request per tenant, each its own corp", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const registry = yield* TenantRegistry.TenantRegistry
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        const calls = tenants.flatMap((tenant) =>
          Array.from({ length: 30 }, () =>
            Effect.map(
              registry.token({ appKey: tenant.appKey, appSecurity: Redacted.make(tenant.appSecurity) }),
              (token) => ({ tenant: tenant.appKey, corpId: token.corpId, token: Redacted.value(token.accessToken) })
            ))
        )
        const tokens = yield* Effect.all(calls, { concurrency: "unbounded" })
        const held = yield* registry.size
        const requests = yield* sim.count("v3.getAccessToken")

        const refused = yield* outcome(registry.token({ appKey: tenants[0].appKey, appSecurity: Redacted.make("wrong-secret-77aa") }))
        const afterRefused = yield* sim.count("v3.getAccessToken")
        const stillServed = yield* registry.token({ appKey: tenants[1].appKey, appSecurity: Redacted.make(tenants[1].appSecurity) })

        const malformed = yield* outcome(registry.token({ appKey: "", appSecurity: Redacted.make("x") }))
        const afterMalformed = yield* sim.count("v3.getAccessToken")
        return { tokens, held, requests, refused, afterRefused, stillServed, malformed, afterMalformed }
      }).pipe(Effect.provide(Live))
    )
    assert.equal(result.requests, 6, "one token request per tenant")
    assert.equal(result.held, 6)
    for (const tenant of tenants) {
      const mine = result.tokens.filter((t) => t.tenant === tenant.appKey)
      assert.equal(mine.length, 30)
      assert.deepEqual([...new Set(mine.map((t) => t.corpId))], [tenant.corpId])
      assert.equal(new Set(mine.map((t) => t.token)).size, 1, `${tenant.appKey}: one token for its callers`)
    }
    assert.equal(new Set(result.tokens.map((t) => t.token)).size, 6, "no tenant is handed another's token")

    assert.equal(result.refused.error?._tag, "InvalidKey")
    assert.equal(result.afterRefused, 7, "the wrong secret cost one request")
    assert.equal(result.stillServed.corpId, tenants[1].corpId, "the other tenants are not affected")

    assert.equal(result.malformed.error?._tag, "InvalidOptions")
    assert.match(result.malformed.error.message, /appKey/)
    assert.equal(result.afterMalformed, 7, "credentials refused by their form never reach the network")
  })
})
