// Against a real redis-server that the tests start on a free loopback port (Debian package redis-server).
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import * as RedisTokenStore from "@effect-hosecloud/adapters/RedisTokenStore"
import { HosecloudAuth, TokenStore } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, Logger, Option, Redacted, References, Result } from "effect"
import { spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { freePort, redisScoped, withRedis } from "./utils/redis.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.resolve(here, "../../..")

/** The simulator on loopback, with its controls. */
const servedSimulator = (options?: NodeSimulator.Options) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(NodeSimulator.layer(options))
    return { sim: Context.get(context, HosecloudSimulator.HosecloudSimulator), url: Context.get(context, NodeSimulator.SimulatorAddress).url }
  })

/** One replica: its own Redis client and its own HosecloudAuth. */
const replica = (simUrl: string, redisUrl: string, options: Partial<HosecloudAuth.Options> = {}) =>
  Effect.map(
    Layer.build(
      HosecloudAuth.layerShared({
        appKey: "demo-app-key",
        appSecurity: Redacted.make("demo-app-security"),
        authUrl: simUrl,
        ...options
      }).pipe(Layer.provide(Layer.mergeAll(NodeHttpClient.layerUndici, RedisTokenStore.layer({ url: redisUrl }))))
    ),
    (context) => Context.get(context, HosecloudAuth.HosecloudAuth)
  )

const storeOn = (redisUrl: string) =>
  Effect.map(Layer.build(RedisTokenStore.layer({ url: redisUrl })), (context) => Context.get(context, TokenStore.TokenStore))

const callAll = (auths: ReadonlyArray<HosecloudAuth.Service>, callers: number) =>
  Effect.map(
    Effect.all(auths.flatMap((auth) => Array.from({ length: callers }, () => auth.token)), { concurrency: "unbounded" }),
    (tokens) => new Set(tokens.map((t) => Redacted.value(t.accessToken)))
  )

const runReplicaProcess = (env: Record<string, string>) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/replica.ts")], {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", TSX_TSCONFIG_PATH: path.join(root, "tsconfig.base.json"), ...env }
      })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (d) => (stdout += d))
      child.stderr.on("data", (d) => (stderr += d))
      child.on("close", (code) => resolve({ code, stdout, stderr }))
    })
  )

describe("RedisTokenStore", () => {
  it.live("the store's operations are atomic on Redis: a stale write loses, leases belong to their holder", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const store = yield* storeOn(redis.url)
      const minute = Duration.minutes(1)
      assert.isTrue(yield* store.compareAndSet("k", Option.none(), "old", minute))
      assert.isFalse(yield* store.compareAndSet("k", Option.none(), "other", minute))
      assert.isTrue(yield* store.compareAndSet("k", Option.some("old"), "new", minute))
      assert.isFalse(yield* store.compareAndSet("k", Option.some("old"), "stale", minute))
      assert.deepStrictEqual(yield* store.get("k"), Option.some("new"))
      assert.isFalse(yield* store.compareAndDelete("k", "old"))
      assert.isTrue(yield* store.compareAndDelete("k", "new"))
      assert.deepStrictEqual(yield* store.get("k"), Option.none())
      assert.isTrue(yield* store.acquireLease("lease", "a", minute))
      assert.isFalse(yield* store.acquireLease("lease", "b", minute))
      yield* store.releaseLease("lease", "b")
      assert.isFalse(yield* store.acquireLease("lease", "b", minute), "only the holder releases")
      yield* store.releaseLease("lease", "a")
      assert.isTrue(yield* store.acquireLease("lease", "b", Duration.millis(200)))
      yield* Effect.sleep("300 millis")
      assert.isTrue(yield* store.acquireLease("lease", "c", minute), "a lease expires by itself")
    })), 30_000)

  it.live("8 replicas x 200 callers, at cold start and at the refresh: one token request per cycle", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const { sim, url } = yield* servedSimulator({ tokenLifetime: "10 seconds" })
      const auths = yield* Effect.all(Array.from({ length: 8 }, () => replica(url, redis.url)))
      const cold = yield* callAll(auths, 200)
      assert.strictEqual(cold.size, 1)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      // 10 s tokens are refreshed at half their life (about 5 s in); every replica's refresher fires then,
      // and the next refresh is about 5 s later
      yield* Effect.sleep("7 seconds")
      const later = yield* callAll(auths, 200)
      assert.strictEqual(later.size, 1)
      assert.notDeepEqual([...later], [...cold])
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
    })), 60_000)

  it.live("8 replicas in separate OS processes x 200 callers: one token request", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const { sim, url } = yield* servedSimulator()
      const results = yield* Effect.all(
        Array.from({ length: 8 }, () => runReplicaProcess({ SIM_URL: url, REDIS_URL: redis.url, CALLERS: "200" })),
        { concurrency: "unbounded" }
      )
      for (const result of results) assert.strictEqual(result.code, 0, result.stderr)
      const distinct = new Set(results.flatMap((r) => (JSON.parse(r.stdout.trim()) as { distinct: Array<string> }).distinct))
      assert.strictEqual(distinct.size, 1)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
    })), 120_000)

  it.live("with default settings, a lease holder SIGKILLed mid-fetch: a cold replica is served, and within its waitTimeout", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const { sim, url } = yield* servedSimulator()
      // the first token request hangs: its replica holds the lease (renewing it) while it waits
      yield* sim.script("token", HosecloudSimulator.Fault.delay("60 seconds"))
      const child = spawn(process.execPath, ["--import", "tsx", path.join(here, "fixtures/replica.ts")], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          TSX_TSCONFIG_PATH: path.join(root, "tsconfig.base.json"),
          SIM_URL: url,
          REDIS_URL: redis.url,
          CALLERS: "10"
        }
      })
      const store = yield* storeOn(redis.url)
      const key = yield* TokenStore.keyFor({ appKey: "demo-app-key", authUrl: url })
      // wait until it has taken the lease and sent its request, then kill it
      const holding = Effect.zipWith(
        store.get(TokenStore.leaseKeyOf(key)),
        sim.count("v3.getAccessToken"),
        (lease, requests) => Option.isSome(lease) && requests === 1
      )
      yield* Effect.gen(function*() {
        while (!(yield* holding)) yield* Effect.sleep("50 millis")
      }).pipe(
        Effect.timeoutOrElse({
          duration: "30 seconds",
          orElse: () => Effect.fail(new Error("the replica never took the lease"))
        })
      )
      child.kill("SIGKILL")
      // every option at its default: the dead holder's lease (3 s) ends well within the 10 s waitTimeout
      const survivor = yield* replica(url, redis.url)
      const tokens = yield* Effect.all(Array.from({ length: 10 }, () => Effect.result(survivor.token)), {
        concurrency: "unbounded"
      })
      for (const token of tokens) {
        assert.isTrue(Result.isSuccess(token), Result.isFailure(token) ? token.failure.message : "")
        if (Result.isSuccess(token)) assert.strictEqual(token.success.corpId, "DEMOcorp00001")
      }
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
    })), 60_000)

  it.live("Redis unreachable: the replica falls back to its own cache with a Warning, and recovers", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const port = yield* freePort
      const { sim, url } = yield* servedSimulator()
      const warnings: Array<string> = []
      const logger = Logger.layer([Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(String(message))
      })])
      const auth = yield* replica(url, `redis://127.0.0.1:${port}`).pipe(Effect.provide(logger))
      const tokens = yield* Effect.all(Array.from({ length: 100 }, () => auth.token), { concurrency: "unbounded" }).pipe(
        Effect.provide(logger)
      )
      assert.isTrue(tokens.every((t) => t === tokens[0]), "in-process single flight still holds")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      assert.isTrue(warnings.some((w) => w.includes("token store unavailable")), warnings.join("; "))

      // Redis comes up on that port: the next token is shared again
      yield* redisScoped(port)
      yield* Effect.sleep("2500 millis")
      yield* auth.invalidate(tokens[0])
      const shared = yield* auth.token
      const store = yield* storeOn(`redis://127.0.0.1:${port}`)
      const key = yield* TokenStore.keyFor({ appKey: "demo-app-key", authUrl: url })
      const stored = yield* store.get(key)
      assert.isTrue(Option.isSome(stored))
      assert.include(Option.getOrElse(stored, () => ""), Redacted.value(shared.accessToken))
      assert.notInclude(Option.getOrElse(stored, () => ""), "demo-app-security")
    })), 60_000)

  it.live("a replica with another encryptionKey keeps its own entry: neither takes nor blocks the fleet's, and says so once", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const { sim, url } = yield* servedSimulator()
      const warnings: Array<{ message: string; annotations: string }> = []
      const logger = Logger.layer([
        Logger.make(({ fiber, logLevel, message }) => {
          if (logLevel === "Warn") {
            warnings.push({ message: String(message), annotations: JSON.stringify(fiber.getRef(References.CurrentLogAnnotations)) })
          }
        })
      ])
      const fleetKey = "Jx1kq8Zr3VbT0m9PfLw2Hs6Dn4Yc7Ge5"
      const strayKey = "p0Qm3Zx9Lr7Vb2Nc5Tk8Wy1Hd4Fs6Ja8"
      const stray = yield* replica(url, redis.url, { encryptionKey: Redacted.make(strayKey) })
      const a = yield* replica(url, redis.url, { encryptionKey: Redacted.make(fleetKey) })
      const b = yield* replica(url, redis.url, { encryptionKey: Redacted.make(fleetKey) })
      // the stray replica writes first: before, it took the key for good
      const strayToken = yield* stray.token
      const fleetToken = yield* a.token.pipe(Effect.provide(logger))
      assert.notStrictEqual(Redacted.value(strayToken.accessToken), Redacted.value(fleetToken.accessToken))
      const other = yield* b.token
      assert.strictEqual(Redacted.value(other.accessToken), Redacted.value(fleetToken.accessToken))
      // one request for the fleet, one for the stray replica
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      const fingerprints = [
        yield* TokenStore.cipher(Redacted.make(fleetKey)).fingerprint,
        yield* TokenStore.cipher(Redacted.make(strayKey)).fingerprint
      ]
      const store = yield* storeOn(redis.url)
      const key = yield* TokenStore.keyFor({ appKey: "demo-app-key", authUrl: url })
      for (const fingerprint of fingerprints) assert.isTrue(Option.isSome(yield* store.get(`${key}:k${fingerprint}`)))
      const groups = warnings.filter((w) => w.message.includes("replicas with another encryptionKey"))
      assert.strictEqual(groups.length, 1, JSON.stringify(warnings))
      for (const fingerprint of fingerprints) assert.include(groups[0].annotations, fingerprint)
      for (const w of warnings) {
        assert.notInclude(w.annotations, fleetKey)
        assert.notInclude(w.annotations, strayKey)
      }
    })), 60_000)

  it.live("a token planted in Redis with an implausible expiry is ignored with a Warning, not served", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const { sim, url } = yield* servedSimulator()
      const store = yield* storeOn(redis.url)
      const key = yield* TokenStore.keyFor({ appKey: "demo-app-key", authUrl: url })
      const planted = JSON.stringify({
        v: 1,
        corpId: "DEMOcorp00001",
        accessToken: "planted-token",
        refreshToken: "planted-refresh",
        scope: "tenant",
        expiresAt: Date.now() + 100 * 365 * 24 * 3600 * 1000,
        issuedAt: Date.now()
      })
      assert.isTrue(yield* store.compareAndSet(key, Option.none(), planted, Duration.minutes(5)))
      const warnings: Array<string> = []
      const logger = Logger.layer([
        Logger.make(({ logLevel, message }) => {
          if (logLevel === "Warn") warnings.push(String(message))
        })
      ])
      const auth = yield* replica(url, redis.url)
      const token = yield* auth.token.pipe(Effect.provide(logger))
      assert.notStrictEqual(Redacted.value(token.accessToken), "planted-token")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      assert.isTrue(warnings.some((w) => w.includes("implausible lifetime")), warnings.join("; "))
    })), 60_000)

  it.live("a wrong Redis password fails the layer with WRONGPASS, a missing one with NOAUTH, not as Redis being down", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped(undefined, ["--requirepass", "right-pass"])
      const refusal = (url: string) =>
        Effect.flip(Layer.build(RedisTokenStore.layer({ url: Redacted.make(url), connectTimeout: "5 seconds" })))
      const wrong = yield* refusal(`redis://:wrong-pass@127.0.0.1:${redis.port}`)
      assert.strictEqual(wrong._tag, "StoreError")
      assert.include(wrong.message, "WRONGPASS")
      assert.notInclude(wrong.message, "wrong-pass")
      const missing = yield* refusal(`redis://127.0.0.1:${redis.port}`)
      assert.include(missing.message, "NOAUTH")
      const store = yield* storeOn(`redis://:right-pass@127.0.0.1:${redis.port}`)
      assert.isTrue(yield* store.compareAndSet("k", Option.none(), "v", Duration.minutes(1)))
    })), 60_000)
})
