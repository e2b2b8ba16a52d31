import { TenantRegistry, TokenStore } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Redacted, Ref, References, Scope } from "effect"
import * as TestClock from "effect/testing/TestClock"
import { heapAfterGc } from "./utils/heap.js"

const tenant = (i: number) => ({ appKey: `tenant-${i}`, appSecurity: Redacted.make(`secret-${i}`) })

const setup = (tenants: number, options?: TenantRegistry.Options) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make({
      credentials: Array.from({ length: tenants }, (_, i) => ({
        appKey: `tenant-${i}`,
        appSecurity: `secret-${i}`,
        scope: "tenant" as const,
        corpId: `CORP${i}`
      }))
    })
    const registry = yield* TenantRegistry.make(options).pipe(
      Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app))
    )
    return { sim, registry }
  })

describe("TenantRegistry", () => {
  it.effect("each tenant has its own HosecloudAuth, built on first use and shared while in use", () =>
    Effect.gen(function*() {
      const { registry, sim } = yield* setup(3)
      assert.strictEqual(yield* registry.size, 0)
      const a = yield* registry.token(tenant(0))
      const b = yield* registry.token(tenant(1))
      const again = yield* Effect.all(Array.from({ length: 50 }, () => registry.token(tenant(0))), { concurrency: "unbounded" })
      assert.deepStrictEqual([a.corpId, b.corpId], ["CORP0", "CORP1"])
      assert.isTrue(again.every((t) => t === a))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
      assert.strictEqual(yield* registry.size, 2)
      const wrong = yield* Effect.flip(registry.token({ appKey: "tenant-2", appSecurity: Redacted.make("nope") }))
      assert.strictEqual(wrong._tag, "InvalidKey")
    }))

  it.effect("an idle tenant is released after idleTimeToLive: no token, no refresh fiber, no requests", () =>
    Effect.gen(function*() {
      const { registry, sim } = yield* setup(2, { idleTimeToLive: "10 minutes" })
      yield* registry.token(tenant(0))
      yield* TestClock.adjust("9 minutes")
      yield* registry.token(tenant(1))
      assert.strictEqual(yield* registry.size, 2)
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(yield* registry.size, 1, "tenant 0 was idle for 11 minutes")
      yield* TestClock.adjust("24 hours")
      assert.strictEqual(yield* registry.size, 0)
      // had a refresh fiber survived, 24 hours would have cost a dozen refreshes
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
    }))

  it.effect("a tenant used again before idleTimeToLive is kept: its idle time starts over", () =>
    Effect.gen(function*() {
      const { registry, sim } = yield* setup(1, { idleTimeToLive: "10 minutes" })
      const first = yield* registry.token(tenant(0))
      yield* TestClock.adjust("9 minutes")
      assert.strictEqual(yield* registry.token(tenant(0)), first)
      yield* TestClock.adjust("9 minutes")
      assert.strictEqual(yield* registry.size, 1, "idle for 9 minutes since its last use")
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(yield* registry.size, 0)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      // a released tenant is built afresh, with a token of its own
      const again = yield* registry.token(tenant(0))
      assert.notStrictEqual(Redacted.value(again.accessToken), Redacted.value(first.accessToken))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
    }))

  // (Effect 4 has no Supervisor to count live fibers with: what a waiting tenant holds is measured by the heap
  // test below)
  it.effect("100 tenants holding tokens: every refresh comes due in the background, each tenant once", () =>
    Effect.gen(function*() {
      const tenants = 100
      const { registry, sim } = yield* setup(tenants, { idleTimeToLive: "1 day" })
      const tokens = yield* Effect.forEach(Array.from({ length: tenants }, (_, i) => i), (i) => registry.token(tenant(i)), {
        concurrency: 10
      })
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), tenants)
      // 2-hour tokens are refreshed 5 minutes before they expire: each tenant once, in the background
      yield* TestClock.adjust("116 minutes")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2 * tenants)
      const renewed = yield* Effect.forEach(Array.from({ length: tenants }, (_, i) => i), (i) => registry.token(tenant(i)))
      renewed.forEach((token, i) => {
        assert.strictEqual(token.corpId, `CORP${i}`)
        assert.notStrictEqual(Redacted.value(token.accessToken), Redacted.value(tokens[i].accessToken))
      })
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2 * tenants)
    }))

  it.effect("refuses `sharing`: one store key would hand one tenant's token to every other", () =>
    Effect.gen(function*() {
      const store = yield* TokenStore.makeMemory
      const error = yield* Effect.flip(
        TenantRegistry.make({ sharing: { store, key: "one-key" } }).pipe(
          Effect.provideService(HttpClient.HttpClient, HttpClient.make(() => Effect.die("no request"))),
          Effect.scoped
        )
      )
      assert.strictEqual(error._tag, "InvalidOptions")
      assert.strictEqual(error.option, "sharing")
    }))

  it.effect("tenants use the registry's HTTP client, whatever client the caller's context has", () =>
    Effect.gen(function*() {
      const { registry, sim } = yield* setup(1)
      const elsewhere = HttpClient.make(() => Effect.die("the caller's client was used"))
      const token = yield* registry.token(tenant(0)).pipe(Effect.provideService(HttpClient.HttpClient, elsewhere))
      assert.strictEqual(token.corpId, "CORP0")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
    }))

  it.effect("at most `concurrency` tenants fetch at once; the others queue and are served, past waitTimeout", () =>
    Effect.gen(function*() {
      const tenants = 20
      const sim = yield* HosecloudSimulator.make({
        credentials: Array.from({ length: tenants }, (_, i) => ({
          appKey: `tenant-${i}`,
          appSecurity: `secret-${i}`,
          corpId: `CORP${i}`
        }))
      })
      // every token request takes 5 seconds: 7 turns of 3 take 35 seconds, far past the 10-second waitTimeout
      let running = 0
      let most = 0
      const slow = HttpClient.make((request) =>
        Effect.acquireUseRelease(
          Effect.sync(() => {
            running++
            most = Math.max(most, running)
          }),
          () => Effect.andThen(Effect.sleep("5 seconds"), HosecloudSimulator.clientFor(sim.app).execute(request)),
          () => Effect.sync(() => running--)
        )
      )
      const registry = yield* TenantRegistry.make({ concurrency: 3 }).pipe(Effect.provideService(HttpClient.HttpClient, slow))
      const all = yield* Effect.forkChild(
        Effect.forEach(Array.from({ length: tenants }, (_, i) => i), (i) => registry.token(tenant(i)), { concurrency: "unbounded" })
      )
      for (let turn = 0; turn < 7; turn++) {
        yield* TestClock.adjust("5 seconds")
        assert.isAtMost(most, 3)
      }
      const tokens = yield* Fiber.join(all)
      assert.strictEqual(most, 3)
      assert.deepStrictEqual(tokens.map((t) => t.corpId), Array.from({ length: tenants }, (_, i) => `CORP${i}`))
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), tenants)
    }).pipe(Effect.provideService(References.MinimumLogLevel, "None")))

  it.effect("closing the registry while tenants queue for a permit ends every wait, nothing hangs", () =>
    Effect.gen(function*() {
      const sent = yield* Ref.make(0)
      const never = HttpClient.make(() => Effect.andThen(Ref.update(sent, (n) => n + 1), Effect.never))
      const scope = yield* Scope.make()
      const registry = yield* TenantRegistry.make({ concurrency: 1 }).pipe(
        Effect.provideService(HttpClient.HttpClient, never),
        Scope.provide(scope)
      )
      const callers = yield* Effect.forEach([0, 1, 2], (i) => Effect.forkChild(registry.token(tenant(i))))
      yield* TestClock.adjust("1 second")
      // one tenant holds the only permit, its request unanswered; the two others wait for it
      assert.strictEqual(yield* Ref.get(sent), 1)
      yield* Scope.close(scope, Exit.void)
      // the waiting tenants gave up: none was handed the permit on its way out to send a request
      for (const caller of callers) {
        const exit = yield* Fiber.await(caller)
        assert.isTrue(Exit.hasInterrupts(exit), String(exit))
      }
      assert.strictEqual(yield* Ref.get(sent), 1)
    }))

  // real time here: the test clock sorts its pending sleeps on every step, which 10,000 idle timers make slow
  it.live("10,000 tenants: all served, all released when idle, memory back to where it was", () =>
    Effect.gen(function*() {
      const count = 10_000
      const credentials = Array.from({ length: count }, (_, i) => ({
        appKey: `tenant-${i}`,
        appSecurity: `secret-${i}`,
        scope: "tenant" as const,
        corpId: `CORP${i}`
      }))
      // each round on a simulator of its own, let go before the heap is measured: a simulator keeps every token
      // it issued (about 1 KiB each), which would be counted as the registry's
      let sim = yield* HosecloudSimulator.make({ credentials })
      let requests = 0
      const http = HttpClient.make((request) => HosecloudSimulator.clientFor(sim.app).execute(request))
      const registry = yield* TenantRegistry.make({ idleTimeToLive: "3 seconds" }).pipe(
        Effect.provideService(HttpClient.HttpClient, http)
      )
      const nextSimulator = Effect.gen(function*() {
        requests += yield* sim.count("v3.getAccessToken")
        sim = yield* HosecloudSimulator.make({ credentials })
      })
      const serveAll = Effect.forEach(
        Array.from({ length: count }, (_, i) => i),
        (i) => registry.token(tenant(i)),
        { concurrency: 500, discard: true }
      )
      const released = Effect.gen(function*() {
        while ((yield* registry.size) > 0) yield* Effect.sleep("100 millis")
      }).pipe(Effect.timeoutOrElse({
        duration: "20 seconds",
        orElse: () => Effect.fail(new Error("tenants were not released"))
      }))
      // a first round warms up the code paths, the second is measured
      yield* serveAll
      yield* released
      yield* nextSimulator
      const before = heapAfterGc()
      yield* serveAll
      const held = heapAfterGc() - before
      yield* released
      yield* nextSimulator
      const after = heapAfterGc() - before
      assert.strictEqual(requests, 2 * count)
      // what the live tenants held is given back once they are released
      assert.isAbove(held, 0)
      assert.isBelow(after, Math.max(held * 0.25, 8 * 1024 * 1024), `held ${held} bytes, left ${after} bytes`)
    }).pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "None")), 120_000)
})
