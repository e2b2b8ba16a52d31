// 1. The hot path on Effect 4: reading a valid cached token, against Effect's own ways to hold a value.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { Clock, Effect, Ref } from "effect"
import { type BenchServer, credentials } from "./fixtures.js"
import { findings, interleave, log } from "./rounds.js"
import { hotPathRows } from "../../bench/rows.js"

export const hotPath = (server: BenchServer) =>
  Effect.gen(function*() {
    yield* log("1. hot path")
    const found = findings()
    const auth = yield* HosecloudAuth.make({ ...credentials, authUrl: server.url })
    yield* auth.token
    const state = yield* Ref.make({ expiresAt: Number.MAX_SAFE_INTEGER, token: 1 })
    const refAndClock = Effect.flatMap(Ref.get(state), (s) =>
      Effect.map(Clock.currentTimeMillis, (now) => (now < s.expiresAt ? s.token : 0)))
    const [cachedTtl] = yield* Effect.cachedInvalidateWithTTL(Effect.succeed(1), "1 hour")
    let cached: { value: number; expiresAt: number } | undefined
    const asyncCache = async () => {
      if (cached !== undefined && Date.now() < cached.expiresAt) return cached.value
      cached = { value: 1, expiresAt: Date.now() + 3_600_000 }
      return cached.value
    }
    const n = 300_000
    const loop = (effect: Effect.Effect<unknown, unknown>) =>
      Effect.gen(function*() {
        const start = performance.now()
        for (let i = 0; i < n; i++) yield* effect
        return ((performance.now() - start) * 1000) / n
      })
    const asyncLoop = Effect.promise(async () => {
      const start = performance.now()
      for (let i = 0; i < n; i++) await asyncCache()
      return ((performance.now() - start) * 1000) / n
    })
    const m = yield* interleave({ token: loop(auth.token), ref: loop(refAndClock), ttl: loop(cachedTtl), async: asyncLoop })
    found.rows.push(...hotPathRows(m, false))
    return found
  })
