/**
 * The wire transport of `HosecloudClient`, made once when the client is made, over the `HttpClient` it
 * was given. It sends a request that carries the token, with:
 *
 * - the platform's own span off for it: its span would record the URL and headers with the token. A
 *   predicate is installed once, in the fiber that makes the client (and so in every fiber it forks, and in
 *   the program a layer is provided to): it answers `true` only for a request that carries a token the
 *   library is sending at that moment. A request made from a fiber where that predicate is not in place
 *   (the client made in one runtime and used from another, or a caller's own `withTracerDisabledWhen`
 *   around the call) has the span turned off for that request alone, by `Effect.locally`.
 * - redirects not followed: the platform's Node clients never follow them; a `fetch`-based client
 *   (`FetchHttpClient`) reads its redirect mode from the fiber's context at the time of the request, which
 *   no transport built beforehand can set, so `redirect: "manual"` is added to that context per request
 *   (the caller's own `RequestInit` kept), in the one context change that also makes the library's span
 *   the parent when there is a span (as the platform's own span does).
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import { constTrue } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import type * as Predicate from "effect/Predicate"
import type * as Tracer from "effect/Tracer"
import * as Destination from "./destination.js"

/** @internal */
export interface Wire {
  /**
   * Sends `request`, which carries `token`; `span`, the library's span of the request, is the parent of
   * what the transport does.
   */
  readonly send: (
    request: HttpClientRequest.HttpClientRequest,
    token: string,
    span: Tracer.Span | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
}

/** The tokens on their way to the wire now, each with the number of requests carrying it. */
const inFlight = globalValue(
  Symbol.for("@effect-hosecloud/core/businessWire/inFlight"),
  () => new Map<string, number>()
)

const carriesInFlight = (request: HttpClientRequest.HttpClientRequest): boolean => {
  if (inFlight.size === 0) return false
  for (const [, value] of request.urlParams) {
    if (inFlight.has(value)) return true
  }
  for (const name in request.headers) {
    if (inFlight.has(request.headers[name])) return true
  }
  return false
}

/** Each predicate found in place, with the one installed over it (so that making clients never stacks them). */
const installedOver = globalValue(
  Symbol.for("@effect-hosecloud/core/businessWire/installedOver"),
  () => new WeakMap<Predicate.Predicate<HttpClientRequest.HttpClientRequest>, Predicate.Predicate<HttpClientRequest.HttpClientRequest>>()
)
const installed = globalValue(
  Symbol.for("@effect-hosecloud/core/businessWire/installed"),
  () => new WeakSet<Predicate.Predicate<HttpClientRequest.HttpClientRequest>>()
)

const install = (
  previous: Predicate.Predicate<HttpClientRequest.HttpClientRequest>
): Predicate.Predicate<HttpClientRequest.HttpClientRequest> => {
  if (installed.has(previous)) return previous
  let over = installedOver.get(previous)
  if (over === undefined) {
    over = (request) => carriesInFlight(request) || previous(request)
    installedOver.set(previous, over)
    installed.add(over)
  }
  return over
}

const hold = (token: string) => {
  inFlight.set(token, (inFlight.get(token) ?? 0) + 1)
}
const release = (token: string) => {
  const count = (inFlight.get(token) ?? 1) - 1
  if (count === 0) inFlight.delete(token)
  else inFlight.set(token, count)
}

/** `effect` with `token` held in flight for as long as it runs, whatever its end. */
const holding = <A, E>(effect: Effect.Effect<A, E>, token: string): Effect.Effect<A, E> =>
  Effect.uninterruptibleMask((restore) => {
    hold(token)
    return Effect.matchCauseEffect(restore(effect), {
      onFailure: (cause) => {
        release(token)
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        release(token)
        return Effect.succeed(value)
      }
    })
  })

/**
 * The transport over `http`; installs the span predicate in the fiber that runs it.
 *
 * @internal
 */
export const make = (http: HttpClient.HttpClient): Effect.Effect<Wire> =>
  Effect.as(FiberRef.update(HttpClient.currentTracerDisabledWhen, install), {
    send: (request, token, span) =>
      Effect.withFiberRuntime((fiber) => {
        // one context change at most: fetch's redirect mode, and the span's parent when there is a span
        const context = Destination.noFollowContext(fiber.currentContext, span)
        const effect = context === undefined
          ? http.execute(request)
          : Effect.locally(http.execute(request), FiberRef.currentContext, context)
        if (!fiber.getFiberRef(FiberRef.currentTracerEnabled)) return effect
        if (!installed.has(fiber.getFiberRef(HttpClient.currentTracerDisabledWhen))) {
          return Effect.locally(effect, HttpClient.currentTracerDisabledWhen, constTrue)
        }
        return holding(effect, token)
      })
  })
