// One replica process of the Effect 4 line's fleet benchmark: 1,000 callers at cold start, then 1,000 more once the
// first refresh has happened; prints the latency of every call, in milliseconds, and whether its store
// answered a read before the callers came and after they were served ("none" without a store). Its callers
// start when the bench writes a line to its stdin, once every replica is ready.
import * as RedisTokenStore from "@effect-hosecloud/adapters/RedisTokenStore"
import { HosecloudAuth, TokenStore } from "@effect-hosecloud/core"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Fiber, Layer, Option, Redacted, References, Stream } from "effect"

const simUrl = process.env["SIM_URL"] ?? ""
const redisUrl = process.env["REDIS_URL"] ?? ""
const callers = Number(process.env["CALLERS"] ?? "1000")
const options = { appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security"), authUrl: simUrl }

const AuthLive = redisUrl === ""
  ? HosecloudAuth.layer(options).pipe(Layer.provide(NodeHttpClient.layerUndici))
  : HosecloudAuth.layerShared(options).pipe(
    Layer.provideMerge(Layer.mergeAll(NodeHttpClient.layerUndici, RedisTokenStore.layer({ url: redisUrl })))
  )

/** Whether the store answers a read now. */
const storeState = Effect.gen(function*() {
  const store = yield* Effect.serviceOption(TokenStore.TokenStore)
  if (Option.isNone(store)) return "none"
  return yield* store.value.get("bench:probe").pipe(
    Effect.as("answered"),
    Effect.catch((error) => Effect.succeed(`did not answer (${error.message})`))
  )
})

const timed = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const start = performance.now()
    yield* effect
    return performance.now() - start
  })

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const before = yield* storeState
  // every replica's callers start together: the bench says "go" once all are ready (a replica that took
  // longer to start would otherwise come in a later refresh cycle and count as one more request)
  process.stdout.write("ready\n")
  yield* Effect.callback<void>((resume) => {
    process.stdin.once("data", () => resume(Effect.void))
  })
  const next = yield* auth.changes.pipe(Stream.take(2), Stream.runDrain, Effect.forkChild)
  const cold = yield* Effect.all(Array.from({ length: callers }, () => timed(auth.token)), { concurrency: "unbounded" })
  yield* Fiber.await(next)
  const expiry = yield* Effect.all(Array.from({ length: callers }, () => timed(auth.token)), { concurrency: "unbounded" })
  const after = yield* storeState
  process.stdout.write(`${JSON.stringify({ cold, expiry, store: { before, after } })}\n`)
})

Effect.runPromise(program.pipe(Effect.provide(AuthLive), Effect.provideService(References.MinimumLogLevel, "None"))).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${String(error)}\n`)
    process.exit(1)
  }
)
