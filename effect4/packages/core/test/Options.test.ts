// Every option is checked when the service is built: a bad one is an InvalidOptions in the error channel
// that names it, never a defect, never silently accepted, and no request is made. Options are passed as
// an untyped caller would (JavaScript, JSON configuration), hence the casts to `never`.
import { AuthError, HosecloudAuth, HosecloudClient, TenantRegistry, TokenStore, Validation } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Redacted } from "effect"
import { demoKey, demoSecret } from "./utils/setup.js"

const good = { appKey: demoKey, appSecurity: Redacted.make(demoSecret) }

/** Builds with `build` and answers the InvalidOptions it fails with; a defect or a success fails the test. */
const refusal = <A, E, R>(build: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.exit(Effect.scoped(build)), (exit) => {
    if (Exit.isSuccess(exit)) return Effect.die("the options were accepted")
    const failure = Cause.findErrorOption(exit.cause)
    if (failure._tag === "None" || !(failure.value instanceof AuthError.InvalidOptions)) {
      return Effect.die(`not an InvalidOptions: ${Cause.pretty(exit.cause)}`)
    }
    return Effect.succeed(failure.value)
  })

const withSimulator = <A, E, R>(f: (sim: HosecloudSimulator.Simulator) => Effect.Effect<A, E, R>) =>
  Effect.flatMap(HosecloudSimulator.make(), (sim) =>
    f(sim).pipe(Effect.provideService(HttpClient.HttpClient, HosecloudSimulator.clientFor(sim.app))))

const authCases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
  ["an empty appKey", { appKey: "" }, "appKey"],
  ["a missing appKey", { appKey: undefined }, "appKey"],
  ["an empty appSecurity", { appSecurity: Redacted.make("") }, "appSecurity"],
  ["a plain-string appSecurity", { appSecurity: demoSecret }, "appSecurity"],
  ["a negative refreshWindow", { refreshWindow: "-1 minute" }, "refreshWindow"],
  ["a zero refreshWindow", { refreshWindow: 0 }, "refreshWindow"],
  ["a NaN refreshWindow", { refreshWindow: Number.NaN }, "refreshWindow"],
  ["an unreadable refreshWindow", { refreshWindow: "soon" }, "refreshWindow"],
  ["a zero requestTimeout", { requestTimeout: 0 }, "requestTimeout"],
  ["an infinite waitTimeout", { waitTimeout: Number.POSITIVE_INFINITY }, "waitTimeout"],
  ["a negative invalidKeyCooldown", { invalidKeyCooldown: -5 }, "invalidKeyCooldown"],
  ["a NaN maxBodyBytes", { maxBodyBytes: Number.NaN }, "maxBodyBytes"],
  ["a fractional maxBodyBytes", { maxBodyBytes: 10.5 }, "maxBodyBytes"],
  ["a retry that is not a Schedule", { retry: "3 times" }, "retry"],
  ["a refreshSchedule that is not a Schedule", { refreshSchedule: 60_000 }, "refreshSchedule"],
  ["a plain-http remote authUrl", { authUrl: "http://open.hosecloud.com" }, "authUrl"],
  ["a authUrl that is not a URL", { authUrl: "open.hosecloud.com" }, "authUrl"],
  ["a authUrl with a password", { authUrl: "https://user:pass@open.hosecloud.com" }, "authUrl"],
  ["a authUrl with a query string", { authUrl: "https://open.hosecloud.com?x=1" }, "authUrl"],
  ["a zero leaseTtl", { store: "memory", leaseTtl: "0 seconds" }, "leaseTtl"],
  ["a plain-string encryptionKey", { store: "memory", encryptionKey: "key" }, "encryptionKey"],
  // a password-like key: it is stretched with HKDF, so it must be random and long
  ["an encryptionKey of 31 characters", { store: "memory", encryptionKey: Redacted.make("k".repeat(31)) }, "encryptionKey"]
]

describe("HosecloudAuth options", () => {
  for (const [name, patch, option] of authCases) {
    it.effect(`${name} is an InvalidOptions naming ${option}, and no request is made`, () =>
      withSimulator((sim) =>
        Effect.gen(function*() {
          const store = patch.store === "memory" ? yield* TokenStore.makeMemory : undefined
          const options = { ...good, ...patch, store } as never
          const error = yield* refusal(HosecloudAuth.make(options))
          assert.strictEqual(error.option, option)
          assert.include(error.message, `invalid option ${option}: `)
          assert.notInclude(error.message, demoSecret)
          assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
        })
      ))
  }

  it.effect("the layers fail with it too, typed: layer, layerConfig's cache options, layerShared, eager", () =>
    withSimulator(() =>
      Effect.gen(function*() {
        const bad = { ...good, requestTimeout: -1 }
        const checks = [
          HosecloudAuth.layer(bad),
          HosecloudAuth.layer(bad).pipe(HosecloudAuth.eager),
          HosecloudAuth.layerShared(bad).pipe(Layer.provide(TokenStore.layerMemory))
        ]
        for (const layer of checks) {
          const error = yield* refusal(Layer.build(layer))
          assert.strictEqual(error.option, "requestTimeout")
        }
      })
    ))

  it.effect("Validation.secret never describes the secret it refuses", () =>
    Effect.sync(() => {
      const plain = Validation.secret("appSecurity", "hunter2")
      assert.isTrue(plain._tag === "Failure" && plain.failure.received === "a plain string")
      const empty = Validation.secret("appSecurity", Redacted.make(" "))
      assert.isTrue(empty._tag === "Failure" && !empty.failure.message.includes("hunter2"))
    }))
})

describe("HosecloudClient options", () => {
  const cases: ReadonlyArray<readonly [string, Record<string, unknown>, string]> = [
    ["a plain-http remote apiUrl", { apiUrl: "http://app.ekuaibao.com" }, "apiUrl"],
    ["a apiUrl that is a number", { apiUrl: 443 }, "apiUrl"],
    ["a token placement that is neither query nor header", { token: { in: "cookie", name: "t" } }, "token.in"],
    ["a header name with a space", { token: { in: "header", name: "access token" } }, "token.name"],
    ["an empty query parameter name", { token: { in: "query", name: "" } }, "token.name"],
    ["an empty tenantHeader", { tenantHeader: "" }, "tenantHeader"]
  ]
  for (const [name, options, option] of cases) {
    it.effect(`${name} is an InvalidOptions naming ${option}`, () =>
      withSimulator(() =>
        Effect.gen(function*() {
          const auth = yield* HosecloudAuth.make(good)
          const error = yield* refusal(
            HosecloudClient.make(options as never).pipe(Effect.provideService(HosecloudAuth.HosecloudAuth, auth))
          )
          assert.strictEqual(error.option, option)
        })
      ))
  }
})

describe("TenantRegistry options and credentials", () => {
  it.effect("a bad idleTimeToLive, concurrency or cache option fails the registry", () =>
    withSimulator(() =>
      Effect.gen(function*() {
        assert.strictEqual((yield* refusal(TenantRegistry.make({ idleTimeToLive: 0 }))).option, "idleTimeToLive")
        assert.strictEqual((yield* refusal(TenantRegistry.make({ refreshWindow: "-1 minute" }))).option, "refreshWindow")
        for (const concurrency of [0, 1.5, "8", 10_001, Number.NaN]) {
          const error = yield* refusal(TenantRegistry.make({ concurrency: concurrency as number }))
          assert.strictEqual(error.option, "concurrency")
        }
      })
    ))

  it.effect("bad credentials are a typed InvalidOptions from token, take no place, and make no request", () =>
    withSimulator((sim) =>
      Effect.gen(function*() {
        const registry = yield* TenantRegistry.make()
        const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
          [{ appKey: "" }, "appKey"],
          [{ appSecurity: "plain" }, "appSecurity"],
          [{ authUrl: "ftp://open.hosecloud.com" }, "authUrl"]
        ]
        for (const [patch, option] of cases) {
          const error = yield* Effect.flip(registry.token({ ...good, ...patch } as never))
          assert.strictEqual(error._tag, "InvalidOptions")
          if (error._tag === "InvalidOptions") assert.strictEqual(error.option, option)
        }
        assert.strictEqual(yield* registry.size, 0)
        assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
        // and the registry still serves good credentials
        assert.strictEqual((yield* registry.token(good)).corpId, "DEMOcorp00001")
      })
    ))
})
