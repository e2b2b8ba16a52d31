import { type AuthError, HosecloudAuth, TokenStore } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { DateTime, Duration, Effect, Result, Fiber, Option, Redacted } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { observe } from "./utils/observe.js"
import { demoKey, demoSecret } from "./utils/setup.js"
import { adjustUntilDone, poll } from "./utils/fibers.js"

const fleetKey = "Jx1kq8Zr3VbT0m9PfLw2Hs6Dn4Yc7Ge5"
const otherKey = "p0Qm3Zx9Lr7Vb2Nc5Tk8Wy1Hd4Fs6Ja8"

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
  it.effect("8 replicas x 200 callers at cold start: one token request, one token", () =>
    Effect.gen(function*() {
      const { auths, sim } = yield* fleet(8)
      const fiber = yield* Effect.forkChild(everyone(auths, 200))
      yield* TestClock.adjust("5 seconds")
      const tokens = yield* Fiber.join(fiber)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      const values = new Set(tokens.map((t) => Redacted.value(t.accessToken)))
      assert.strictEqual(values.size, 1)
    }))

  it.effect("at the refresh time of the shared token: one request for the whole fleet, every cycle", () =>
    Effect.gen(function*() {
      const { auths, sim } = yield* fleet(8)
      const first = yield* Effect.forkChild(everyone(auths, 200))
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

  it.effect("a stale write loses to a newer token", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.makeMemory
      assert.isTrue(yield* store.compareAndSet("k", Option.none(), "old", Duration.minutes(1)))
      assert.isTrue(yield* store.compareAndSet("k", Option.some("old"), "new", Duration.minutes(1)))
      // a slow writer that read "old" before the newer write
      assert.isFalse(yield* store.compareAndSet("k", Option.some("old"), "stale", Duration.minutes(1)))
      assert.deepStrictEqual(yield* store.get("k"), Option.some("new"))
    }))

  it.effect("with default settings, a lease holder that died: a cold replica takes over within the 3-second lease, and no caller times out", () =>
    Effect.gen(function*() {
      const { auths, sim, store } = yield* fleet(2)
      const key = yield* TokenStore.keyFor({ appKey: demoKey, authUrl: "https://open.hosecloud.com" })
      // a replica that died holding the lease it took with the default length
      assert.isTrue(yield* store.acquireLease(TokenStore.leaseKeyOf(key), "dead-replica", Duration.seconds(3)))
      const waiting = yield* Effect.forkChild(Effect.result(auths[0].token))
      yield* TestClock.adjust("2900 millis")
      assert.isTrue(Option.isNone(yield* poll(waiting)))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
      yield* TestClock.adjust("400 millis")
      const token = Result.getOrThrow(yield* Fiber.join(waiting))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      assert.strictEqual(yield* auths[1].token.pipe(Effect.map((t) => Redacted.value(t.accessToken))), Redacted.value(token.accessToken))
    }))

  it.effect("a live holder renews its lease while it fetches: a slow answer (5 s) is waited for, not fetched twice", () =>
    Effect.gen(function*() {
      const { auths, sim } = yield* fleet(2)
      yield* sim.script("token", HosecloudSimulator.Fault.delay("5 seconds"))
      const holder = yield* Effect.forkChild(auths[0].token)
      yield* TestClock.adjust("100 millis")
      const waiter = yield* Effect.forkChild(auths[1].token)
      yield* TestClock.adjust("6 seconds")
      const [a, b] = [yield* Fiber.join(holder), yield* Fiber.join(waiter)]
      assert.strictEqual(Redacted.value(b.accessToken), Redacted.value(a.accessToken))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
    }))

  it.effect("a token refused by a business API is dropped from the store too", () =>
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

  it.effect("at rest: a hashed key, no appSecurity, and with a key the tokens are sealed under the key's fingerprint", () =>
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

      const sealed = yield* fleet(2, { encryptionKey: Redacted.make(fleetKey) })
      const a = yield* sealed.auths[0].token
      const fingerprint = yield* TokenStore.cipher(Redacted.make(fleetKey)).fingerprint
      assert.match(fingerprint, /^[0-9a-f]{16}$/)
      assert.deepStrictEqual(yield* sealed.store.get(key), Option.none(), "nothing under the key of unsealed replicas")
      const raw = Option.getOrThrow(yield* sealed.store.get(`${key}:k${fingerprint}`))
      assert.match(raw, /^enc2:/)
      assert.notInclude(raw, Redacted.value(a.accessToken))
      assert.notInclude(raw, demoSecret)
      const b = yield* sealed.auths[1].token
      assert.strictEqual(Redacted.value(b.accessToken), Redacted.value(a.accessToken))
      assert.strictEqual(yield* sealed.sim.count("v3.getAccessToken"), 1)
    }))

  it.effect("the cipher opens a value only under the store key it was sealed for, and only with its key", () =>
    Effect.gen(function*() {
      const cipher = TokenStore.cipher(Redacted.make(fleetKey))
      const sealed = yield* cipher.encrypt("{\"v\":1}", "tenant-a")
      assert.deepStrictEqual(yield* cipher.decrypt(sealed, "tenant-a"), Option.some("{\"v\":1}"))
      assert.deepStrictEqual(yield* cipher.decrypt(sealed, "tenant-b"), Option.none())
      assert.deepStrictEqual(yield* TokenStore.cipher(Redacted.make(otherKey)).decrypt(sealed, "tenant-a"), Option.none())
      // the first format (one SHA-256 of the key, bound to nothing) is not read
      assert.deepStrictEqual(yield* cipher.decrypt(`enc1:${sealed.slice(5)}`, "tenant-a"), Option.none())
      assert.deepStrictEqual(yield* cipher.decrypt("enc2:not base64!", "tenant-a"), Option.none())
      assert.notStrictEqual(yield* cipher.fingerprint, yield* TokenStore.cipher(Redacted.make(otherKey)).fingerprint)
    }))

  it.effect("2 MB through the cipher: sealed and opened whole", () =>
    Effect.gen(function*() {
      const cipher = TokenStore.cipher(Redacted.make(fleetKey))
      const large = "x".repeat(1_000_000) + "é".repeat(500_000)
      const sealed = yield* cipher.encrypt(large, "k")
      assert.isAbove(sealed.length, 2_000_000)
      assert.deepStrictEqual(yield* cipher.decrypt(sealed, "k"), Option.some(large))
    }))

  it.effect("a sealed value copied to another tenant's key is refused with a Warning: neither served nor overwritten", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const store = yield* TokenStore.makeMemory
      const tenant = (key: string) =>
        HosecloudAuth.make({
          appKey: demoKey,
          appSecurity: Redacted.make(demoSecret),
          sharing: { store, key, encryptionKey: Redacted.make(fleetKey) }
        }).pipe(Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app)))
      const a = yield* tenant("tenant-a")
      const tokenA = yield* a.token
      const fingerprint = yield* TokenStore.cipher(Redacted.make(fleetKey)).fingerprint
      const sealedA = Option.getOrThrow(yield* store.get(`tenant-a:k${fingerprint}`))
      // someone who can write to the store copies tenant A's sealed token under tenant B's key
      assert.isTrue(yield* store.compareAndSet(`tenant-b:k${fingerprint}`, Option.none(), sealedA, Duration.hours(1)))
      const { logs, result: tokenB } = yield* observe(Effect.flatMap(tenant("tenant-b"), (b) => b.token))
      assert.notStrictEqual(Redacted.value(tokenB.accessToken), Redacted.value(tokenA.accessToken))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      assert.deepStrictEqual(yield* store.get(`tenant-b:k${fingerprint}`), Option.some(sealedA), "left as it was")
      const warnings = logs.filter((l) => l.level === "Warn").map((l) => l.message)
      assert.isTrue(warnings.some((w) => w.includes("does not open with this replica's encryptionKey")), warnings.join("; "))
    }))

  it.effect("4 replicas, one on another encryptionKey, for 8 refresh cycles: at most 2 token requests a cycle, every caller served, a Warning once per replica naming both fingerprints", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const store = yield* TokenStore.makeMemory
      const client = HosecloudSimulator.clientFor(sim.app)
      const { logs, result: auths } = yield* observe(Effect.all(
        [fleetKey, fleetKey, fleetKey, otherKey].map((key) =>
          HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), store, encryptionKey: Redacted.make(key) })
            .pipe(Effect.provideService(HttpClient.HttpClient, client))
        )
      ))
      const served = (effect: Effect.Effect<ReadonlyArray<unknown>, AuthError.AuthError>) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.forkChild(observe(effect))
          // in steps, within the callers' 10-second waitTimeout: Effect 4's TestClock wakes only the sleepers
          // there when it looks, and the callers poll the store on their own schedule
          yield* adjustUntilDone(fiber, "100 millis", 100)
          const { logs: more, result } = yield* Fiber.join(fiber)
          logs.push(...more)
          assert.strictEqual(result.length, 4 * 50)
        })
      yield* served(everyone(auths, 50))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      let previous = 2
      for (let cycle = 2; cycle <= 8; cycle++) {
        // past the refresh time of both groups' tokens: every replica's refresher fires
        yield* TestClock.adjust("2 hours")
        yield* served(everyone(auths, 50))
        const requests = yield* sim.count("v3.getAccessToken")
        assert.isAtMost(requests - previous, 2, `cycle ${cycle}`)
        assert.isAtLeast(requests - previous, 2, `cycle ${cycle}: each group refreshed`)
        previous = requests
      }
      const fingerprints = [
        yield* TokenStore.cipher(Redacted.make(fleetKey)).fingerprint,
        yield* TokenStore.cipher(Redacted.make(otherKey)).fingerprint
      ]
      const warnings = logs.filter((l) => l.message.includes("replicas with another encryptionKey"))
      const pairs = warnings.map((w) => `${w.annotations["thisGroup"]} sees ${w.annotations["otherGroup"]}`)
      const [fleetGroup, otherGroup] = fingerprints
      // each replica warns once at most: the lone replica once, the three others once each when they held the lease
      assert.strictEqual(pairs.filter((p) => p === `${otherGroup} sees ${fleetGroup}`).length, 1, pairs.join("; "))
      const fromFleet = pairs.filter((p) => p === `${fleetGroup} sees ${otherGroup}`).length
      assert.isTrue(fromFleet >= 1 && fromFleet <= 3, pairs.join("; "))
      assert.strictEqual(pairs.length, 1 + fromFleet)
      for (const w of warnings) {
        assert.notInclude(w.text, fleetKey)
        assert.notInclude(w.text, otherKey)
      }
    }))

  it.effect("a large token (2 MB) with encryptionKey is shared: one request, the same token for both replicas", () =>
    Effect.gen(function*() {
      const large = "T".repeat(2_000_000)
      const answer = JSON.stringify({
        code: "200",
        msg: "ok",
        data: { corpId: "c1", accessToken: large, refreshToken: "r1", expiresTime: 7_200_000, scope: "tenant" }
      })
      let requests = 0
      const http = HttpClient.make((request) =>
        Effect.sync(() => {
          requests++
          return HttpClientResponse.fromWeb(request, new Response(answer, { headers: { "content-type": "application/json" } }))
        })
      )
      const store = yield* TokenStore.makeMemory
      const replicas = yield* Effect.all(
        [1, 2].map(() =>
          HosecloudAuth.make({
            appKey: demoKey,
            appSecurity: Redacted.make(demoSecret),
            maxBodyBytes: 4_000_000,
            store,
            encryptionKey: Redacted.make(fleetKey)
          }).pipe(Effect.provideService(HttpClient.HttpClient, http))
        )
      )
      const first = yield* replicas[0].token
      const second = yield* replicas[1].token
      assert.strictEqual(Redacted.value(first.accessToken).length, 2_000_000)
      assert.strictEqual(Redacted.value(second.accessToken), large)
      assert.strictEqual(requests, 1)
    }))

  it.effect("a store's error that quotes its password says <redacted> in its place, in any form", () =>
    Effect.sync(() => {
      const password = "redis-pass-8d7c6b5a"
      const error = TokenStore.storeError("get", `AUTH ${password} failed; url redis://:${btoa(password)}@h`, [
        Redacted.make(password)
      ])
      assert.strictEqual(error.description, "AUTH <redacted> failed; url redis://:<redacted>@h")
    }))

  it.effect("a failing store: each replica falls back to its own cache, with a Warning", () =>
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

  it.effect("the lease never outlives the refresh window of the token being replaced", () =>
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
