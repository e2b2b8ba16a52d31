/**
 * The client span of a business request, recorded on the request as the caller wrote it (the token's
 * place marked `<redacted>`), with OpenTelemetry's HTTP attribute names (`http.request.method`, `url.full`,
 * `server.address` and `server.port`, `http.response.status_code`, `error.type`). The request that
 * goes on the wire, with the token, is sent with the platform's own span switched off: one span per
 * request, and the token in none.
 *
 * @internal
 */
import * as Headers from "effect/http/Headers"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpTraceContext from "effect/http/HttpTraceContext"
import * as Url from "effect/http/Url"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Result from "effect/Result"
import type * as Tracer from "effect/Tracer"

/** @internal */
export const traced = <E, R>(
  request: HttpClientRequest.HttpClientRequest,
  send: (
    request: HttpClientRequest.HttpClientRequest,
    span: Tracer.Span | undefined
  ) => Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  Effect.withFiber((fiber) => {
    // the URL is built only for a span that will be recorded: it is the costliest part of one
    if (!fiber.getRef(References.TracerEnabled) || fiber.getRef(HttpClient.TracerDisabledWhen)(request)) {
      return send(request, undefined)
    }
    const url = Url.make(request.url, request.urlParams, Option.getOrUndefined(request.hash))
    if (Result.isFailure(url)) return send(request, undefined)
    const name = fiber.getRef(HttpClient.SpanNameGenerator)(request)
    return Effect.useSpan(name, { kind: "client" }, (span) => {
      span.attribute("http.request.method", request.method)
      // OpenTelemetry's semantic conventions: the host name here, the port apart
      span.attribute("server.address", url.success.hostname)
      if (url.success.port !== "") span.attribute("server.port", +url.success.port)
      span.attribute("url.full", url.success.toString())
      span.attribute("url.path", url.success.pathname)
      span.attribute("url.scheme", url.success.protocol.slice(0, -1))
      const query = url.success.search.slice(1)
      if (query !== "") span.attribute("url.query", query)
      const redactedNames = fiber.getRef(Headers.CurrentRedactedNames)
      const headers = Headers.redact(request.headers, redactedNames)
      for (const header in headers) span.attribute(`http.request.header.${header}`, String(headers[header]))
      const propagated = fiber.getRef(HttpClient.TracerPropagationEnabled)
        ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span))
        : request
      // `send` makes the span the parent of what it runs
      return send(propagated, span).pipe(
        Effect.tap((response) =>
          Effect.sync(() => {
            span.attribute("http.response.status_code", response.status)
            if (response.status >= 400) span.attribute("error.type", String(response.status))
          })
        ),
        Effect.tapError((error) =>
          Effect.sync(() => {
            const tag = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : "Error"
            span.attribute("error.type", tag)
          })
        )
      )
    })
  })
