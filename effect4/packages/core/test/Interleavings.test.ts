// The flight permits (on `Semaphore`), the tenants (on `RcMap`, idle expiry a deadline) and the engines' wake-ups under
// seeded random interleavings: waiters interrupted at the hand-over, releases, idle times running out as
// callers come, deadlines re-armed as the clock moves, closing. At the end, what is left is counted.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Deferred, Duration, Effect, Exit, Fiber, Option, Random, Redacted, References, Scope } from "effect"
import * as TestClock from "effect/testing/TestClock"
import * as FlightPermits from "../src/internal/engine/flightPermits.js"
import * as Tenants from "../src/internal/tenants.js"
import { interruptFork } from "./utils/fibers.js"

/** Lets every runnable fiber take `n` turns. */
const turns = (n: number) => Effect.replicateEffect(Effect.yieldNow, n, { discard: true })

/**
 * Exactly `count` permits are free: `count` flights hold one each at once, and one more waits until one of
 * them ends.
 */
const exactlyFree = (permits: FlightPermits.Permits, count: number) =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const holders = yield* Effect.forEach(
      Array.from({ length: count }, () => permits.withPermit(Deferred.await(gate))),
      (hold) => Effect.forkChild(hold)
    )
    const extra = yield* Effect.forkChild(permits.withPermit(Effect.void))
    yield* turns(10)
    assert.isUndefined(extra.pollUnsafe(), "one permit more than the count")
    yield* Deferred.succeed(gate, undefined)
    for (const holder of holders) yield* Fiber.join(holder)
    yield* Fiber.join(extra)
  })

describe("flight permits", () => {
  it.effect("a waiter interrupted as the permit is handed to it gives the permit back", () =>
    Effect.gen(function*() {
      const permits = yield* FlightPermits.make(1)
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.forkChild(permits.withPermit(Deferred.await(gate)))
      yield* turns(5)
      const waiter = yield* Effect.forkChild(permits.withPermit(Effect.never))
      yield* turns(5)
      assert.isUndefined(waiter.pollUnsafe())
      // the holder ends: its permit goes to the waiter, which is interrupted before it can run
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.interrupt(waiter)
      yield* exactlyFree(permits, 1)
    }))

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it.effect(`seed ${seed}: 300 flights on 4 permits, interrupted anywhere: no permit lost, never more than 4 held`, () =>
      Effect.gen(function*() {
        const count = 4
        const permits = yield* FlightPermits.make(count)
        let holding = 0
        let most = 0
        const gates: Array<Deferred.Deferred<void>> = []
        const fibers: Array<Fiber.Fiber<void>> = []
        const hold = (gate: Deferred.Deferred<void>) =>
          permits.withPermit(Effect.acquireUseRelease(
            Effect.sync(() => {
              holding++
              most = Math.max(most, holding)
            }),
            () => Deferred.await(gate),
            () => Effect.sync(() => holding--)
          ))
        for (let i = 0; i < 300; i++) {
          const gate = yield* Deferred.make<void>()
          gates.push(gate)
          fibers.push(yield* Effect.forkChild(hold(gate)))
          // some flights end, some are interrupted (waiting, holding, or at the hand-over), at random moments
          const action = yield* Random.nextIntBetween(0, 4, { halfOpen: true })
          const target = yield* Random.nextIntBetween(0, fibers.length, { halfOpen: true })
          if (action === 0) yield* Deferred.succeed(gates[target], undefined)
          if (action === 1) yield* interruptFork(fibers[target])
          if (action === 2) {
            // a release and an interruption in the same step
            yield* Deferred.succeed(gates[target], undefined)
            yield* interruptFork(fibers[(target + 1) % fibers.length])
          }
          yield* turns(yield* Random.nextIntBetween(0, 3, { halfOpen: true }))
        }
        for (const fiber of fibers) yield* Fiber.interrupt(fiber)
        assert.isAtMost(most, count)
        assert.strictEqual(holding, 0)
        // all of them can be held at once again, and no more
        yield* exactlyFree(permits, count)
      }).pipe(Random.withSeed(seed)))
  }

  it.effect("shut down: the waiting flights are interrupted, and no permit is handed out again", () =>
    Effect.gen(function*() {
      const permits = yield* FlightPermits.make(1)
      const holder = yield* Effect.forkChild(permits.withPermit(Effect.never))
      yield* turns(3)
      const waiters = yield* Effect.forEach([1, 2, 3], () => Effect.forkChild(permits.withPermit(Effect.void)))
      yield* turns(3)
      yield* permits.shutdown
      for (const waiter of waiters) assert.isTrue(Exit.hasInterrupts(yield* Fiber.await(waiter)))
      yield* Fiber.interrupt(holder)
      assert.isTrue(Exit.hasInterrupts(yield* Effect.exit(permits.withPermit(Effect.void))))
    }))
})

interface Tenant {
  readonly id: number
  closed: boolean
}

/** A tenant built in `scope`, recorded in `all`, marked closed when the scope closes. */
const buildTenant = (all: Array<Tenant>, scope: Scope.Scope) =>
  Effect.acquireRelease(
    Effect.sync((): Tenant => {
      const tenant = { id: all.length, closed: false }
      all.push(tenant)
      return tenant
    }),
    (tenant) =>
      Effect.sync(() => {
        tenant.closed = true
      })
  ).pipe(Scope.provide(scope))

describe("tenants", () => {
  for (const seed of [11, 12, 13, 14, 15, 16]) {
    it.effect(`seed ${seed}: callers, releases and idle times running out in any order: no tenant closed while held`, () =>
      Effect.gen(function*() {
        const all: Array<Tenant> = []
        const poolScope = yield* Scope.make()
        const tenants = yield* Tenants.make<string, Tenant, never>({
          lookup: (_, scope) => buildTenant(all, scope),
          idleTimeToLive: Duration.minutes(1)
        }).pipe(Scope.provide(poolScope))
        const held: Array<{ readonly scope: Scope.Closeable; readonly tenant: Tenant }> = []
        for (let i = 0; i < 400; i++) {
          const action = yield* Random.nextIntBetween(0, 3, { halfOpen: true })
          if (action === 0) {
            const key = ["a1", "a2", "b1"][yield* Random.nextIntBetween(0, 3, { halfOpen: true })]
            const scope = yield* Scope.make()
            held.push({ scope, tenant: yield* tenants.get(key).pipe(Scope.provide(scope)) })
          } else if (action === 1 && held.length > 0) {
            const [share] = held.splice(yield* Random.nextIntBetween(0, held.length, { halfOpen: true }), 1)
            yield* Scope.close(share.scope, Exit.void)
          } else if (action === 2) {
            // the idle time of some released tenants runs out, at or around the moment others are taken
            yield* TestClock.adjust(Duration.seconds(yield* Random.nextIntBetween(0, 90, { halfOpen: true })))
          }
          yield* turns(yield* Random.nextIntBetween(0, 3, { halfOpen: true }))
          for (const share of held) assert.isFalse(share.tenant.closed, "a tenant in use was closed")
        }
        // what is held is open and counted once per key; after closing, nothing is left open
        const live = new Set(held.map((share) => share.tenant))
        assert.isAtMost(live.size, 3)
        assert.isAtLeast(yield* tenants.size, live.size)
        yield* Scope.close(poolScope, Exit.void)
        for (const share of held) yield* Scope.close(share.scope, Exit.void)
        assert.isTrue(all.every((tenant) => tenant.closed))
        assert.deepStrictEqual(tenants.inspect(), { entries: 0, builds: 0, holders: 0 })
        assert.strictEqual(tenants.deadlines.size, 0)
        assert.isFalse(tenants.deadlines.sleeping)
        assert.isAbove(all.length, 3, "idle tenants were released and built again")
      }).pipe(Random.withSeed(seed)))
  }

  it.effect("a tenant taken as its idle time runs out is kept, open; given back, it waits out a new idle time", () =>
    Effect.gen(function*() {
      const all: Array<Tenant> = []
      const tenants = yield* Tenants.make<string, Tenant, never>({
        lookup: (_, scope) => buildTenant(all, scope),
        idleTimeToLive: Duration.minutes(1)
      })
      yield* Effect.scoped(tenants.get("a"))
      yield* TestClock.adjust("59 seconds")
      // a caller takes the tenant in the idle time's last second
      const scope = yield* Scope.make()
      const tenant = yield* tenants.get("a").pipe(Scope.provide(scope))
      yield* TestClock.adjust("1 minute")
      assert.isFalse(tenant.closed)
      assert.strictEqual(yield* tenants.size, 1)
      assert.strictEqual(all.length, 1)
      yield* Scope.close(scope, Exit.void)
      yield* TestClock.adjust("59 seconds")
      assert.isFalse(tenant.closed)
      yield* TestClock.adjust("1 second")
      assert.isTrue(tenant.closed)
      assert.strictEqual(yield* tenants.size, 0)
    }))
})

type Outcome = "succeed" | "fail" | "die" | "interrupt"

describe("tenants: interrupted at every hand-over, nothing is left", () => {
  // the hand-overs of one key: a caller starts the build, a second waits for it, the build hands its result
  // (a value, a failure, a defect or an interruption) to both, they hold it and give it back, its idle time
  // runs out. At step `n` of that, one caller is interrupted, or the other, or the pool is closed; then the
  // clock runs past every deadline, and what is left is counted: fibers (builds, callers, the sleeper),
  // waiters, entries, holders, deadlines, tenants left open
  const steps = 14
  for (const outcome of ["succeed", "fail", "die", "interrupt"] as const) {
    it.effect(`a build that ends in ${outcome}: at each of ${steps} steps, either caller or both interrupted, or the pool closed`, () =>
      Effect.gen(function*() {
        for (const cut of ["first caller", "second caller", "both callers", "pool"] as const) {
          for (let n = 0; n <= steps; n++) yield* handOver(outcome, cut, n)
        }
      }).pipe(Effect.provideService(References.MinimumLogLevel, "None")))
  }
})

const handOver = (outcome: Outcome, cut: "first caller" | "second caller" | "both callers" | "pool", n: number) =>
  Effect.gen(function*() {
    const built: Array<Tenant> = []
    const poolScope = yield* Scope.make()
    const tenants = yield* Tenants.make<string, Tenant, never>({
      lookup: (_, scope) =>
        buildTenant(built, scope).pipe(
          Effect.tap(() => Effect.sleep("1 second")),
          Effect.tap(() =>
            outcome === "fail" ? Effect.fail("refused") : outcome === "die" ? Effect.die("broken") :
            outcome === "interrupt" ? Effect.interrupt : Effect.void
          ),
          Effect.orDie
        ),
      idleTimeToLive: Duration.seconds(2)
    }).pipe(Scope.provide(poolScope))
    const hold = (millis: number) => Effect.scoped(Effect.andThen(tenants.get("k"), Effect.sleep(Duration.millis(millis))))
    const first = yield* Effect.forkChild(hold(1_500), { startImmediately: true })
    const second = yield* Effect.forkChild(Effect.andThen(Effect.yieldNow, hold(500)))
    // each step one turn, or the clock on by a quarter second (the build ends at 1 s, the holders give it back
    // at 1.5 s, the idle time runs out at 3.5 s): the cut lands before, at and after every hand-over
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) yield* Effect.yieldNow
      else yield* TestClock.adjust("250 millis")
    }
    if (cut === "first caller") yield* interruptFork(first)
    else if (cut === "second caller") yield* interruptFork(second)
    else if (cut === "both callers") {
      yield* interruptFork(first)
      yield* interruptFork(second)
    }
    else yield* Scope.close(poolScope, Exit.void)
    for (let i = 0; i < 20; i++) {
      yield* TestClock.adjust("1 second")
      yield* turns(2)
    }
    const context = `${outcome}, ${cut} cut at step ${n}`
    // no caller is left waiting, no build running, no entry or holder, no deadline and no fiber asleep for one
    assert.isDefined(first.pollUnsafe(), `first caller still waiting (${context})`)
    assert.isDefined(second.pollUnsafe(), `second caller still waiting (${context})`)
    assert.deepStrictEqual(tenants.inspect(), { entries: 0, builds: 0, holders: 0 }, context)
    assert.strictEqual(tenants.deadlines.size, 0, context)
    assert.isFalse(tenants.deadlines.sleeping, context)
    assert.isTrue(built.every((tenant) => tenant.closed), `a tenant left open (${context})`)
    assert.isAtMost(built.length, 1, `built twice (${context})`)
    yield* Scope.close(poolScope, Exit.void)
  })

describe("the wake-ups of many engines", () => {
  for (const seed of [21, 22, 23, 24]) {
    it.effect(`seed ${seed}: 20 engines, the clock moved in random steps for a day: each refreshes on time, once`, () =>
      Effect.gen(function*() {
        const window = 5 * 60_000
        const lives: Array<number> = []
        const issued: Array<number> = []
        const auths: Array<HosecloudAuth.Service> = []
        for (let i = 0; i < 20; i++) {
          const life = (yield* Random.nextIntBetween(11, 120, { halfOpen: true })) * 60_000
          lives.push(life)
          issued.push(0)
          auths.push(
            yield* HosecloudAuth.makeWith({
              name: `engine-${i}`,
              issue: Effect.map(Clock.currentTimeMillis, (now) => {
                issued[i]++
                return {
                  corpId: `c${i}`,
                  accessToken: Redacted.make(`token-${i}-${issued[i]}`),
                  refreshToken: Redacted.make("r"),
                  scope: "tenant" as const,
                  expiresTime: now + life,
                  serverTime: Option.none<number>()
                }
              }),
              refresh: Option.none()
            })
          )
        }
        yield* Effect.forEach(auths, (auth) => auth.token, { discard: true })
        // a day and half a minute: no refresh falls on the last instant
        const end = 86_400_000 + 30_000
        let elapsed = 0
        while (elapsed < end) {
          const step = Math.min(end - elapsed, yield* Random.nextIntBetween(0, 30 * 60_000, { halfOpen: true }))
          elapsed += step
          yield* TestClock.adjust(step)
          yield* turns(yield* Random.nextIntBetween(0, 3, { halfOpen: true }))
        }
        // refreshed `window` before each expiry: every (life - window), each once, none lost to a re-arm
        const expected = lives.map((life) => 1 + Math.floor(end / (life - window)))
        assert.deepStrictEqual(issued, expected)
        for (const auth of auths) assert.isTrue(Option.isSome(yield* auth.current), "a valid token is held")
      }).pipe(Random.withSeed(seed), Effect.provideService(References.MinimumLogLevel, "None")))
  }
})
