import { HosecloudAuth } from "../packages/core/src/index.js"
import { HosecloudSimulator } from "../packages/core/src/testing.js"
import { Clock, Effect, Layer, Redacted, Ref } from "effect"

const N = 1_000_000
const main = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  yield* auth.token
  const ref = yield* Ref.make({ exp: Number.MAX_SAFE_INTEGER, v: 1 })
  const naive = Effect.flatMap(Ref.get(ref), (s) => Effect.map(Clock.currentTimeMillis, (n) => n < s.exp ? s.v : 0))
  const cached = yield* Effect.cachedInvalidateWithTTL(Effect.succeed(1), "1 hour")
  const loop = (name: string, eff: Effect.Effect<unknown, unknown>) => Effect.gen(function*() {
    const t0 = performance.now()
    for (let i = 0; i < N; i++) yield* eff
    const dt = (performance.now() - t0) * 1000 / N
    console.log(name, dt.toFixed(3), "µs")
    return dt
  })
  for (let r = 0; r < 3; r++) {
    const a = yield* loop("auth.token", auth.token)
    const b = yield* loop("Ref+Clock", naive)
    const c = yield* loop("cachedInvalidateWithTTL", cached[0])
    console.log("ratios", (a / b).toFixed(3), (a / c).toFixed(4))
  }
})
const layer = HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }).pipe(Layer.provide(HosecloudSimulator.layer()))
Effect.runPromise(main.pipe(Effect.provide(layer)))
