import { HosecloudAuth, TokenStore } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Fiber, Option, Redacted, TestClock } from "effect"
import { demoKey, demoSecret } from "./utils/setup.js"

const fleet = (replicas: number, options: Partial<HosecloudAuth.Options> = {}) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make()
    const store = yield* TokenStore.makeMemory
    const client = HosecloudSimulator.clientFor(sim.app)
    const auths = yield* Effect.all(
      Array.from({ length: replicas }, () =>
        HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), store, ...options }).pipe(
          Effect.provideService(HttpClient.HttpClient, client)
        ))
    )
    return { sim, store, auths }
  })

const everyone = (auths: ReadonlyArray<HosecloudAuth.Service>, callers: number) =>
  Effect.all(auths.flatMap((auth) => Array.from({ length: callers }, () => auth.token)), { concurrency: "unbounded" })

describe("TokenStore: one token for a fleet", () => {
  it.scoped("8 replicas x 200 callers at cold start: one token request, one token", () =>
    Effect.gen(function*() {
      const { auths, sim } = yield* fleet(8)
      const fiber = yield* Effect.fork(everyone(auths, 200))
      yield* TestClock.adjust("5 seconds")
      const tokens = yield* Fiber.join(fiber)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      const values = new Set(tokens.map((t) => Redacted.value(t.accessToken)))
      assert.strictEqual(values.size, 1)
    }))

  it.scoped("at the refresh time of the shared token: one request for the whole fleet, every cycle", () =>
    Effect.gen(function*() {
      const { auths, sim } = yield* fleet(8)
      const first = yield* Effect.fork(everyone(auths, 200))
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(first)
      for (let cycle = 2; cycle <= 4; cycle++) {
        // each cycle: past the refresh time of the current token, every replica's refresher fires
        yield* TestClock.adjust("2 hours")
        const tokens = yield* everyone(auths, 200)
        assert.strictEqual(yield* sim.count("v3.getAccessToken"), cycle)
        assert.strictEqual(new Set(tokens.map((t) => Redacted.value(t.accessToken))).size, 1)
      }
    }))

  it.scoped("a stale write loses to a newer token", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.makeMemory
      assert.isTrue(yield* store.compareAndSet("k", Option.none(), "old", Duration.minutes(1)))
      assert.isTrue(yield* store.compareAndSet("k", Option.some("old"), "new", Duration.minutes(1)))
      // a slow writer that read "old" before the newer write
      assert.isFalse(yield* store.compareAndSet("k", Option.some("old"), "stale", Duration.minutes(1)))
      assert.deepStrictEqual(yield* store.get("k"), Option.some("new"))
    }))

  it.scoped("a lease holder that never finishes: another replica takes over when the lease expires", () =>
    Effect.gen(function*() {
      const { auths, sim, store } = yield* fleet(2, { leaseTtl: "3 seconds", waitRetry: undefined })
      const key = yield* TokenStore.keyFor({ appKey: demoKey, authUrl: "https://open.hosecloud.com" })
      // a replica that died holding the lease
      assert.isTrue(yield* store.acquireLease(TokenStore.leaseKeyOf(key), "dead-replica", Duration.seconds(3)))
      const waiting = yield* Effect.fork(auths[0].token)
      yield* TestClock.adjust("2900 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
      yield* TestClock.adjust("400 millis")
      const token = yield* Fiber.join(waiting)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      assert.strictEqual(yield* auths[1].token.pipe(Effect.map((t) => Redacted.value(t.accessToken))), Redacted.value(token.accessToken))
    }))

  it.scoped("a token refused by a business API is dropped from the store too", () =>
    Effect.gen(function*() {
      const { auths, sim } = yield* fleet(2)
      const first = yield* auths[0].token
      assert.strictEqual(yield* auths[1].token.pipe(Effect.map((t) => Redacted.value(t.accessToken))), Redacted.value(first.accessToken))
      // both replicas see the token refused
      yield* auths[0].invalidate(first)
      yield* auths[1].invalidate(yield* auths[1].token)
      const renewed = yield* auths[1].token
      assert.notStrictEqual(Redacted.value(renewed.accessToken), Redacted.value(first.accessToken))
      // the other replica takes the new one from the store, not the refused one, and asks nobody
      const other = yield* auths[0].token
      assert.strictEqual(Redacted.value(other.accessToken), Redacted.value(renewed.accessToken))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
    }))

  it.scoped("at rest: a hashed key, no appSecurity, and with a key the tokens are encrypted", () =>
    Effect.gen(function*() {
      const plain = yield* fleet(1)
      const token = yield* plain.auths[0].token
      const key = yield* TokenStore.keyFor({ appKey: demoKey, authUrl: "https://open.hosecloud.com" })
      assert.match(key, /^hosecloud:token:[0-9a-f]{32}$/)
      assert.notInclude(key, demoKey)
      const stored = Option.getOrThrow(yield* plain.store.get(key))
      assert.notInclude(stored, demoSecret)
      const parsed = JSON.parse(stored)
      assert.strictEqual(parsed.accessToken, Redacted.value(token.accessToken))
      assert.strictEqual(parsed.expiresAt, DateTime.toEpochMillis(token.expiresAt))

      const sealed = yield* fleet(2, { encryptionKey: Redacted.make("at-rest-key") })
      const a = yield* sealed.auths[0].token
      const raw = Option.getOrThrow(yield* sealed.store.get(key))
      assert.match(raw, /^enc1:/)
      assert.notInclude(raw, Redacted.value(a.accessToken))
      assert.notInclude(raw, demoSecret)
      const b = yield* sealed.auths[1].token
      assert.strictEqual(Redacted.value(b.accessToken), Redacted.value(a.accessToken))
      assert.strictEqual(yield* sealed.sim.count("v3.getAccessToken"), 1)
    }))

  it.scoped("a failing store: each replica falls back to its own cache, with a Warning", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const broken: TokenStore.Service = {
        get: () => Effect.fail(new TokenStore.StoreError({ operation: "get", description: "connection refused" })),
        compareAndSet: () => Effect.fail(new TokenStore.StoreError({ operation: "set", description: "down" })),
        compareAndDelete: () => Effect.fail(new TokenStore.StoreError({ operation: "del", description: "down" })),
        acquireLease: () => Effect.fail(new TokenStore.StoreError({ operation: "lease", description: "down" })),
        releaseLease: () => Effect.fail(new TokenStore.StoreError({ operation: "release", description: "down" }))
      }
      const auth = yield* HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), store: broken }).pipe(
        Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app))
      )
      const tokens = yield* Effect.all(Array.from({ length: 100 }, () => auth.token), { concurrency: "unbounded" })
      assert.isTrue(tokens.every((t) => t === tokens[0]))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
    }))

  it.scoped("the lease never outlives the refresh window of the token being replaced", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make({ tokenLifetime: "10 seconds", sendDate: false })
      const memory = yield* TokenStore.makeMemory
      const leases: Array<number> = []
      const store: TokenStore.Service = {
        ...memory,
        acquireLease: (key, holder, ttl) => {
          leases.push(Duration.toMillis(ttl))
          return memory.acquireLease(key, holder, ttl)
        }
      }
      const auth = yield* HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), store, leaseTtl: "15 seconds" })
        .pipe(Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
      yield* auth.token
      // the 10-second token is refreshed at half its life, with a lease of at most those 5 seconds
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      assert.deepStrictEqual(leases, [15_000, 5_000])
    }))
})
