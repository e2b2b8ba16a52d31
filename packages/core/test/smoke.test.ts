import { assert, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { setup, tokenRequests } from "./utils/setup.js"

it.scoped("smoke", () =>
  Effect.gen(function*() {
    const { auth, sim } = yield* setup()
    const t = yield* auth.token
    assert.strictEqual(t.corpId, "DEMOcorp00001")
    assert.isTrue(Redacted.value(t.accessToken).startsWith("eyJ"))
    const t2 = yield* auth.token
    assert.strictEqual(t2, t)
    assert.strictEqual(yield* tokenRequests(sim), 1)
  }))
