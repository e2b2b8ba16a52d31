/**
 * The wire transport of `HosecloudClient`, made once when the client is made, over the `HttpClient` it
 * was given. It sends a request that carries the token, with:
 *
 * - the platform's own span off for it: its span would record the URL and headers with the token.
 *   `HttpClient.TracerDisabledWhen` answers `true` for that one request, set in the one context change
 *   below (the library records its own span of the request, without the token).
 * - redirects not followed: the platform's Node clients never follow them; a `fetch`-based client
 *   (`FetchHttpClient`) reads its redirect mode from the fiber's context at the time of the request, which
 *   no transport built beforehand can set, so `redirect: "manual"` is added to that context per request
 *   (the caller's own `RequestInit` kept), in the one context change that also makes the library's span
 *   the parent when there is a span (as the platform's own span does).
 *
 * @internal
 */
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { constTrue } from "effect/Function"
import * as References from "effect/References"
import type * as Tracer from "effect/Tracer"
import * as Destination from "./destination.js"

/** @internal */
export interface Wire {
  /**
   * Sends `request`, which carries the token; `span`, the library's span of the request, is the parent of
   * what the transport does.
   */
  readonly send: (
    request: HttpClientRequest.HttpClientRequest,
    span: Tracer.Span | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
}

/**
 * The transport over `http`.
 *
 * @internal
 */
export const make = (http: HttpClient.HttpClient): Effect.Effect<Wire> =>
  Effect.succeed({
    send: (request, span) =>
      Effect.withFiber((fiber) => {
        // one context change: fetch's redirect mode, the span's parent when there is a span, and the
        // platform's span off for this request when tracing is on
        const base = Destination.noFollowContext(fiber.context, span) ?? fiber.context
        const context = fiber.getRef(References.TracerEnabled)
          ? Context.add(base, HttpClient.TracerDisabledWhen, constTrue)
          : base
        return Effect.provideContext(http.execute(request), context)
      })
  })
