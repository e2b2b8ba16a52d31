import { Cli } from "@effect-hosecloud/cli"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import { TestClock } from "effect/testing"
import { runCli } from "./utils.js"

const env = { HOSECLOUD_APP_KEY: "demo-app-key", HOSECLOUD_APP_SECURITY: "demo-app-security" }
const secret = "demo-app-security"

const withSimulator = (options?: HosecloudSimulator.Options) =>
  Effect.map(HosecloudSimulator.make(options), (sim) => ({ sim, http: HosecloudSimulator.clientFor(sim.app) }))

const noSecretIn = (lines: ReadonlyArray<string>, ...secrets: Array<string>) => {
  for (const line of lines) for (const s of secrets) assert.notInclude(line, s)
}

describe("hosecloud token", () => {
  it.effect("prints the access token alone", () =>
    Effect.gen(function*() {
      const { http, sim } = yield* withSimulator()
      const result = yield* runCli(["token"], { env, http })
      const issued = yield* sim.issued
      assert.strictEqual(result.code, 0)
      assert.deepStrictEqual(result.out, [issued[0].accessToken])
      assert.deepStrictEqual(result.err, [])
      noSecretIn([...result.out, ...result.err], secret)
    }))

  it.effect("--json prints corpId, scope, expiry in ISO and seconds, and the token", () =>
    Effect.gen(function*() {
      const { http, sim } = yield* withSimulator()
      const result = yield* runCli(["token", "--json"], { env, http })
      const parsed = JSON.parse(result.out.join("\n"))
      assert.strictEqual(result.code, 0)
      assert.deepStrictEqual(Object.keys(parsed), ["corpId", "scope", "expiresAt", "expiresIn", "accessToken"])
      assert.strictEqual(parsed.corpId, "DEMOcorp00001")
      assert.strictEqual(parsed.scope, "tenant")
      assert.strictEqual(parsed.expiresAt, "1970-01-01T01:59:59.001Z")
      assert.strictEqual(parsed.expiresIn, 7199)
      assert.strictEqual(parsed.accessToken, (yield* sim.issued)[0].accessToken)
    }))

  it.effect("asks for the secret with a hidden prompt when the environment has none", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const result = yield* runCli(["token"], { env: { HOSECLOUD_APP_KEY: "demo-app-key" }, answers: [secret], http })
      assert.strictEqual(result.code, 0)
      assert.deepStrictEqual(result.prompts, [{ question: "appSecurity (hidden): ", hidden: true }])
      const both = yield* runCli(["token"], { answers: ["demo-app-key", secret], http })
      assert.strictEqual(both.code, 0)
      assert.deepStrictEqual(both.prompts.map((p) => p.hidden), [false, true])
    }))

  it.effect("no answer to the prompt is a usage error", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const result = yield* runCli(["token"], { env: { HOSECLOUD_APP_KEY: "demo-app-key" }, http })
      assert.strictEqual(result.code, Cli.ExitCode.usage)
      assert.strictEqual(result.err.length, 1)
    }))
})

describe("the command line's contract", () => {
  it.effect("token --json reports an error as JSON on stderr, with the same exit code", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const wrong = "wrong-secret-1f0e3dad99908345"
      const result = yield* runCli(["token", "--json"], { env: { ...env, HOSECLOUD_APP_SECURITY: wrong }, http })
      assert.strictEqual(result.code, Cli.ExitCode.invalidKey)
      assert.deepStrictEqual(result.out, [])
      assert.strictEqual(result.err.length, 1)
      const parsed = JSON.parse(result.err[0])
      assert.deepStrictEqual(Object.keys(parsed.error), ["exitCode", "kind", "message"])
      assert.strictEqual(parsed.error.exitCode, Cli.ExitCode.invalidKey)
      assert.strictEqual(parsed.error.kind, "invalidKey")
      assert.include(parsed.error.message, "refused the credentials")
      noSecretIn(result.err, wrong)
      // a usage error too
      const usage = yield* runCli(["token", "--json"], { env: { ...env, HOSECLOUD_AUTH_URL: "http://example.com" }, http })
      assert.strictEqual(usage.code, Cli.ExitCode.usage)
      assert.strictEqual(JSON.parse(usage.err[0]).error.kind, "usage")
    }))

  it.effect("an unknown HOSECLOUD_LOG_LEVEL is refused, naming the valid ones, before any request", () =>
    Effect.gen(function*() {
      const { http, sim } = yield* withSimulator()
      const result = yield* runCli(["token"], { env: { ...env, HOSECLOUD_LOG_LEVEL: "bogus" }, http })
      assert.strictEqual(result.code, Cli.ExitCode.usage)
      assert.deepStrictEqual(result.out, [])
      assert.deepStrictEqual(result.err, [
        "error: HOSECLOUD_LOG_LEVEL must be one of trace, debug, info, warning, error, fatal, none (got \"bogus\")"
      ])
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
      // the documented names are taken, in any case
      for (const level of ["debug", "WARNING", "warn", "none"]) {
        const ok = yield* runCli(["token"], { env: { ...env, HOSECLOUD_LOG_LEVEL: level }, http })
        assert.strictEqual(ok.code, 0, level)
      }
    }))

  it.effect("with no secret and no answer (no terminal), the error names HOSECLOUD_APP_SECURITY", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const result = yield* runCli(["token"], { env: { HOSECLOUD_APP_KEY: "demo-app-key" }, http })
      assert.strictEqual(result.code, Cli.ExitCode.usage)
      assert.strictEqual(result.err.length, 1)
      assert.include(result.err[0], "HOSECLOUD_APP_SECURITY is not set")
      const noKey = yield* runCli(["check"], { env: {}, http })
      assert.include(noKey.err[0], "HOSECLOUD_APP_KEY is not set")
    }))

  it.effect("watch sends one token request per --retry-interval while Hosecloud fails, not a burst of retries", () =>
    Effect.gen(function*() {
      let requests = 0
      const unreachable = HttpClient.make((request) =>
        Effect.suspend(() => {
          requests++
          return Effect.fail(
            new HttpClientError.HttpClientError({
              reason: new HttpClientError.TransportError({ request, cause: new Error("connect ECONNREFUSED") })
            })
          )
        })
      )
      const fiber = yield* Effect.forkChild(runCli(["watch", "--retry-interval", "10"], { env, http: unreachable }))
      // the first request is made at once: an Effect 4 fork starts on a later turn, so the clock moves only
      // once the command has made it
      for (let turn = 0; requests === 0 && turn < 1000; turn++) yield* Effect.yieldNow
      assert.strictEqual(requests, 1, "the first request, before the clock moved")
      for (let second = 0; second < 60; second++) yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      // at 0, 10, 20, 30, 40, 50 and 60 seconds
      assert.strictEqual(requests, 7)
    }))
})

describe("hosecloud check", () => {
  it.effect("exit 0 and a line saying what was accepted", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const result = yield* runCli(["check"], { env, http })
      assert.strictEqual(result.code, 0)
      assert.strictEqual(result.out.length, 1)
      assert.match(result.out[0], /^ok: https:\/\/open\.hosecloud\.com accepted appKey demo-app-key for corp DEMOcorp00001 \(tenant\)/)
      noSecretIn(result.out, secret)
    }))

  it.effect("exit 2 for a refused key, in one line, without the secret", () =>
    Effect.gen(function*() {
      const { http, sim } = yield* withSimulator()
      const wrong = "wrong-secret-3c59dc048e885024"
      const result = yield* runCli(["check"], { env: { ...env, HOSECLOUD_APP_SECURITY: wrong }, http })
      assert.strictEqual(result.code, Cli.ExitCode.invalidKey)
      assert.deepStrictEqual(result.out, [])
      assert.strictEqual(result.err.length, 1)
      assert.include(result.err[0], "refused the credentials")
      assert.include(result.err[0], "HOSECLOUD_APP_SECURITY")
      noSecretIn(result.err, wrong)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
    }))

  it.effect("exit 3 for a SystemError, with the traceId to quote", () =>
    Effect.gen(function*() {
      const { http, sim } = yield* withSimulator()
      yield* sim.script("token", ...Array.from({ length: 5 }, () => HosecloudSimulator.Fault.systemError("0123456789abcdef0123456789abcdef")))
      const fiber = yield* Effect.forkChild(runCli(["check"], { env, http }))
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.code, Cli.ExitCode.systemError)
      assert.strictEqual(result.err.length, 1)
      assert.include(result.err[0], "quote traceId 0123456789abcdef0123456789abcdef to Hosecloud support")
    }))

  it.effect("exit 4 when Hosecloud cannot be reached", () =>
    Effect.gen(function*() {
      const unreachable = HttpClient.make((request) =>
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({ request, cause: new Error("connect ECONNREFUSED 127.0.0.1:1") })
          })
        )
      )
      const fiber = yield* Effect.forkChild(runCli(["check"], { env, http: unreachable }))
      yield* TestClock.adjust("5 seconds")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.code, Cli.ExitCode.network)
      assert.strictEqual(result.err.length, 1)
      assert.include(result.err[0], "the request to https://open.hosecloud.com did not get through")
      assert.include(result.err[0], "ECONNREFUSED")
      noSecretIn(result.err, secret)
    }))

  it.effect("a plain-http base URL is refused before any request", () =>
    Effect.gen(function*() {
      const { http, sim } = yield* withSimulator()
      const result = yield* runCli(["check"], { env: { ...env, HOSECLOUD_AUTH_URL: "http://open.hosecloud.com" }, http })
      assert.strictEqual(result.code, Cli.ExitCode.usage)
      assert.include(result.err[0], "HOSECLOUD_AUTH_URL")
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 0)
    }))
})

describe("hosecloud decode", () => {
  const jwt = (claims: object) =>
    [{ typ: "JWT", alg: "RS256" }, claims].map((p) => Buffer.from(JSON.stringify(p)).toString("base64url")).join(".") +
    ".c2ln"

  it.effect("shows header, claims, expiry in local time with seconds left, and says it did not verify", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const token = jwt({ corporationId: "C1", scope: "tenant", exp: 3600 })
      const result = yield* runCli(["decode", token], { http })
      assert.strictEqual(result.code, 0)
      const text = result.out.join("\n")
      assert.include(text, "\"alg\": \"RS256\"")
      assert.include(text, "\"corporationId\": \"C1\"")
      assert.include(text, `expires: ${new Date(3_600_000).toString()} (in 3600 s)`)
      assert.include(text, "signature: not verified")
    }))

  it.effect("reads the token from stdin when no argument is given; an expired one says so", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      const result = yield* runCli(["decode"], { http, stdin: `${jwt({ exp: -60 })}\n` })
      assert.strictEqual(result.code, 0)
      assert.include(result.out.join("\n"), "expired 60 s ago")
    }))

  it.effect("anything but a JWT is a usage error in one line", () =>
    Effect.gen(function*() {
      const { http } = yield* withSimulator()
      for (const input of ["hello", "a.b", "%%%.x.y", "eyJub3QiOiJqc29uIn0.bm90IGpzb24.x"]) {
        const result = yield* runCli(["decode", input], { http })
        assert.strictEqual(result.code, Cli.ExitCode.usage, input)
        assert.strictEqual(result.err.length, 1)
        assert.match(result.err[0], /^error: not a JWT/)
      }
      const empty = yield* runCli(["decode"], { http })
      assert.strictEqual(empty.code, Cli.ExitCode.usage)
    }))
})
