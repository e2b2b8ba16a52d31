/**
 * The client span of a business request, recorded on the request as the caller wrote it (the token's
 * place marked `<redacted>`), with OpenTelemetry's HTTP attribute names (`http.request.method`, `url.full`,
 * `server.address` and `server.port`, `http.response.status_code`, `error.type`). The request that
 * goes on the wire, with the token, is sent with the platform's own span switched off: one span per
 * request, and the token in none.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import type * as Tracer from "effect/Tracer"

/** @internal */
export const traced = <E, R>(
  request: HttpClientRequest.HttpClientRequest,
  send: (
    request: HttpClientRequest.HttpClientRequest,
    span: Tracer.Span | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  Effect.withFiberRuntime((fiber) => {
    // the URL is built only for a span that will be recorded: it is the costliest part of one
    if (!fiber.getFiberRef(FiberRef.currentTracerEnabled) || fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)) {
      return send(request, undefined)
    }
    const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
    if (Either.isLeft(url)) return send(request, undefined)
    const name = Context.get(fiber.currentContext, HttpClient.SpanNameGenerator)(request)
    return Effect.useSpan(name, { kind: "client", captureStackTrace: false }, (span) => {
      span.attribute("http.request.method", request.method)
      // OpenTelemetry's semantic conventions: the host name here, the port apart
      span.attribute("server.address", url.right.hostname)
      if (url.right.port !== "") span.attribute("server.port", +url.right.port)
      span.attribute("url.full", url.right.toString())
      span.attribute("url.path", url.right.pathname)
      span.attribute("url.scheme", url.right.protocol.slice(0, -1))
      const query = url.right.search.slice(1)
      if (query !== "") span.attribute("url.query", query)
      const redactedNames = fiber.getFiberRef(Headers.currentRedactedNames)
      const headers = Headers.redact(request.headers, redactedNames)
      for (const header in headers) span.attribute(`http.request.header.${header}`, String(headers[header]))
      const propagated = fiber.getFiberRef(HttpClient.currentTracerPropagation)
        ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span))
        : request
      // `send` makes the span the parent of what it runs
      return send(propagated, span).pipe(
        Effect.tapBoth({
          onSuccess: (response) =>
            Effect.sync(() => {
              span.attribute("http.response.status_code", response.status)
              if (response.status >= 400) span.attribute("error.type", String(response.status))
            }),
          onFailure: (error) =>
            Effect.sync(() => {
              const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "Error"
              span.attribute("error.type", tag)
            })
        })
      )
    })
  })
