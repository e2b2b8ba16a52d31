/**
 * The demo: a simulator on a free loopback port, and the library at work on it, step by step. Every claim
 * it prints is checked against the simulator's counters; a claim that does not hold fails the demo.
 *
 * @since 0.1.0
 */
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { type AccessToken, HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as HttpClient from "effect/http/HttpClient"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { CliIO } from "./CliIO.js"

/**
 * A claim of the demo that the counters did not bear out.
 *
 * @since 0.1.0
 * @category errors
 */
export class ClaimFailed extends Data.TaggedError("ClaimFailed")<{ readonly claim: string; readonly seen: string }> {
  override get message() {
    return `the demo's claim "${this.claim}" did not hold: ${this.seen}`
  }
}

const say = (line: string) => Effect.flatMap(CliIO, (io) => io.out(line))

const claim = (text: string, holds: boolean, seen: string) =>
  holds ? say(`   ✔ ${text}`) : Effect.fail(new ClaimFailed({ claim: text, seen }))

const seconds = (token: AccessToken.AccessToken, now: number) => (token.millisLeft(now) / 1000).toFixed(1)

/**
 * The demo's steps, on a simulator already served at `url`.
 *
 * @since 0.1.0
 * @category demo
 */
export const steps = (url: string) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.HosecloudSimulator
    const [demo] = HosecloudSimulator.demoCredentials
    const credentials = { appKey: demo.appKey, appSecurity: Redacted.make(demo.appSecurity), authUrl: url }
    const tokenRequests = sim.count("v3.getAccessToken")
    const started = yield* Clock.currentTimeMillis

    yield* say(`Hosecloud simulator on ${url}, demo credentials ${demo.appKey} / ${"*".repeat(8)}`)

    // 1
    yield* say("")
    yield* say("1. The first token")
    const auth = yield* HosecloudAuth.make(credentials)
    yield* claim("building the layer made no request (lazy)", (yield* tokenRequests) === 0, `${yield* tokenRequests} requests`)
    const first = yield* auth.token
    yield* say(
      `   auth.token -> corp ${first.corpId}, ${first.scope} scope, expires ${
        DateTime.formatIso(first.expiresAt)
      } (in ${seconds(first, yield* Clock.currentTimeMillis)} s)`
    )
    yield* claim("one token request", (yield* tokenRequests) === 1, `${yield* tokenRequests} requests`)

    // 2
    yield* say("")
    yield* say("2. 1,000 concurrent callers on a cold start")
    const before2 = yield* tokenRequests
    const cold = yield* HosecloudAuth.make(credentials)
    const tokens = yield* Effect.all(Array.from({ length: 1000 }, () => cold.token), { concurrency: "unbounded" })
    const caused = (yield* tokenRequests) - before2
    yield* claim(
      `1,000 callers got the same token from ${caused} token request`,
      caused === 1 && tokens.every((t) => t === tokens[0]),
      `${caused} requests`
    )

    // 3
    yield* say("")
    yield* say("3. Refresh before expiry (tokens that live 4 s: the refresh window is clamped to half the life)")
    yield* sim.setTokenLifetime("4 seconds")
    const short = yield* HosecloudAuth.make(credentials)
    const next = yield* short.changes.pipe(Stream.take(2), Stream.runLast, Effect.forkChild)
    yield* Effect.yieldNow
    const old = yield* short.token
    yield* say(`   token #1 expires in ${seconds(old, yield* Clock.currentTimeMillis)} s; waiting for the refresh...`)
    const fresh = yield* Fiber.join(next).pipe(
      Effect.map(Option.getOrThrow),
      Effect.timeoutOrElse({
        duration: "10 seconds",
        orElse: () => Effect.fail(new ClaimFailed({ claim: "refresh", seen: "no new token in 10 s" }))
      })
    )
    const refreshedAt = yield* Clock.currentTimeMillis
    yield* say(`   token #2 arrived with ${seconds(old, refreshedAt)} s left on token #1`)
    yield* claim(
      "the new token came before the old one expired, without any caller asking",
      old.millisLeft(refreshedAt) > 0 && fresh !== old,
      `${old.millisLeft(refreshedAt)} ms left`
    )
    yield* sim.setTokenLifetime("2 hours")

    // 4
    yield* say("")
    yield* say("4. Hosecloud fails twice (code 500 with a traceId): retried with backoff")
    yield* sim.script(
      "token",
      HosecloudSimulator.Fault.systemError("5d1c0ffee0ddf00d5d1c0ffee0ddf00d"),
      HosecloudSimulator.Fault.systemError("7a11ba5eba11ad5e7a11ba5eba11ad5e")
    )
    const before4 = { all: yield* tokenRequests, failed: yield* sim.count("v3.getAccessToken", "SystemError") }
    const flaky = yield* HosecloudAuth.make(credentials)
    yield* flaky.events.pipe(
      Stream.runForEach((event) =>
        event._tag === "RetryScheduled"
          ? say(
            `   SystemError, traceId ${Option.getOrElse(event.error.traceId, () => "-")}: retry in ${
              Math.round(Duration.toMillis(event.delay))
            } ms`
          )
          : Effect.void
      ),
      Effect.forkScoped
    )
    yield* Effect.yieldNow
    const recovered = yield* flaky.token
    const requests4 = (yield* tokenRequests) - before4.all
    const failed4 = (yield* sim.count("v3.getAccessToken", "SystemError")) - before4.failed
    yield* claim(
      `the caller got a token after ${requests4} requests (${failed4} SystemError)`,
      requests4 === 3 && failed4 === 2 && recovered.corpId === demo.corpId,
      `${requests4} requests, ${failed4} failed`
    )

    // 5
    yield* say("")
    yield* say("5. A business call with a revoked token")
    const client = yield* HosecloudClient.make({ apiUrl: url }).pipe(
      Effect.provideService(HosecloudAuth.HosecloudAuth, auth)
    )
    const corporations = client.get("/api/openapi/v1/corporations").pipe(Effect.flatMap(HosecloudClient.filterOk))
    yield* corporations
    const current = yield* auth.token
    yield* sim.revoke(Redacted.value(current.accessToken))
    const before5 = { tokens: yield* tokenRequests, refused: yield* sim.count("v1.corporations", "Unauthorized") }
    yield* say("   the simulator revokes the token; GET /api/openapi/v1/corporations")
    const response = yield* corporations
    const refusals = (yield* sim.count("v1.corporations", "Unauthorized")) - before5.refused
    const renewed = (yield* tokenRequests) - before5.tokens
    yield* claim(
      `the call succeeded (HTTP ${response.status}) after ${refusals} refusal and ${renewed} new token`,
      response.status === 200 && refusals === 1 && renewed === 1,
      `${refusals} refused, ${renewed} token requests`
    )

    // 6
    yield* say("")
    yield* say("6. A wrong key")
    const before6 = yield* sim.count("v3.getAccessToken", "InvalidKey")
    const wrong = yield* HosecloudAuth.make({ ...credentials, appSecurity: Redacted.make("not-the-secret") })
    const refused = Effect.flip(wrong.token).pipe(
      Effect.mapError(() => new ClaimFailed({ claim: "a wrong key is refused", seen: "a token was issued" }))
    )
    const firstError = yield* refused
    const secondError = yield* refused
    const asked = (yield* sim.count("v3.getAccessToken", "InvalidKey")) - before6
    yield* say(`   ${firstError._tag}: ${firstError.message}`)
    yield* claim(
      `InvalidKey, asked twice, ${asked} request: not retried, not hammered`,
      firstError._tag === "InvalidKey" && secondError === firstError && asked === 1,
      `${asked} requests`
    )

    const elapsed = ((yield* Clock.currentTimeMillis) - started) / 1000
    yield* say("")
    yield* say(`Done in ${elapsed.toFixed(1)} s: every claim above was checked against the simulator's counters.`)
  })

/**
 * The demo on a simulator served on a free loopback port, over the `HttpClient` in the context.
 *
 * @since 0.1.0
 * @category demo
 */
export const run: Effect.Effect<void, ClaimFailed | HttpServerError.ServeError, CliIO | HttpClient.HttpClient> =
  Effect.scoped(
    Effect.gen(function*() {
      const context = yield* Layer.build(NodeSimulator.layer())
      const { url } = yield* Effect.provide(NodeSimulator.SimulatorAddress, context)
      yield* Effect.provide(steps(url), context)
    }).pipe(
      Effect.catchTags({
        InvalidKey: (e) => Effect.fail(new ClaimFailed({ claim: "the demo's own credentials work", seen: e.message })),
        SystemError: (e) => Effect.fail(new ClaimFailed({ claim: "the simulator answers", seen: e.message })),
        InvalidOptions: (e) => Effect.fail(new ClaimFailed({ claim: "the demo's options are accepted", seen: e.message })),
        Unauthorized: (e) => Effect.fail(new ClaimFailed({ claim: "a fresh token is accepted", seen: e.message })),
        ApiError: (e) => Effect.fail(new ClaimFailed({ claim: "the business call succeeds", seen: e.message })),
        ForeignOrigin: (e) => Effect.fail(new ClaimFailed({ claim: "business calls go to the simulator", seen: e.message })),
        HttpClientError: (e) => Effect.fail(new ClaimFailed({ claim: "the simulator is reachable and answers", seen: e.message }))
      })
    )
  )
