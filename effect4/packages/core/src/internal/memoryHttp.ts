/**
 * An HTTP exchange with no socket and no Promise: the request body is handed to the app as it is,
 * and the app's response is read back synchronously. Staying inside Effect end to end is what lets
 * `TestClock` drive a whole exchange (a body read through a Promise would escape the test clock).
 *
 * @internal
 */
import type * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import type * as HttpBody from "effect/http/HttpBody"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as HttpServerError from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as UrlParams from "effect/http/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import type * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The bytes of a body held in memory; streams and form data are not supported here. */
const bodyBytes = (body: HttpBody.HttpBody): Uint8Array => {
  if (body._tag === "Uint8Array") return body.body
  if (body._tag === "Raw") {
    if (typeof body.body === "string") return encoder.encode(body.body)
    if (body.body instanceof Uint8Array) return body.body
  }
  return new Uint8Array(0)
}

/**
 * The bytes in an `ArrayBuffer` of their own: a body may be a view on a shared pool (Node's `Buffer`, whose
 * `slice` is a view too), and its `.buffer` would hand out the whole pool.
 */
const copyOf = (bytes: Uint8Array): ArrayBuffer => new Uint8Array(bytes).buffer as ArrayBuffer

/** The server's view of a client request, with the body already in memory. @internal */
export const toServerRequest = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL
): HttpServerRequest.HttpServerRequest => {
  const base = HttpServerRequest.fromWeb(new Request(url.toString(), { method: request.method, headers: request.headers }))
  const bytes = bodyBytes(request.body)
  const text = decoder.decode(bytes)
  const own = (value: unknown) => ({ value, enumerable: false })
  return Object.create(base, {
    text: own(Effect.succeed(text)),
    arrayBuffer: own(Effect.succeed(copyOf(bytes))),
    stream: own(Stream.succeed(bytes)),
    json: own(Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (cause) =>
        new HttpServerError.HttpServerError({
          reason: new HttpServerError.RequestParseError({ request: base, reason: "Parse", cause, description: "invalid JSON" })
        })
    })),
    urlParamsBody: own(Effect.succeed(UrlParams.fromInput(new URLSearchParams(text))))
  }) as HttpServerRequest.HttpServerRequest
}

class MemoryResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: typeof HttpClientResponse.TypeId = HttpClientResponse.TypeId
  readonly headers: Headers.Headers
  readonly status: number
  readonly remoteAddress = Option.none<string>()
  readonly cookies: Cookies.Cookies
  readonly text: Effect.Effect<string>
  readonly arrayBuffer: Effect.Effect<ArrayBuffer>
  readonly stream: Stream.Stream<Uint8Array>
  readonly json: Effect.Effect<Schema.Json, HttpClientError.HttpClientError>
  readonly urlParamsBody: Effect.Effect<UrlParams.UrlParams>

  constructor(readonly request: HttpClientRequest.HttpClientRequest, response: HttpServerResponse.HttpServerResponse) {
    super()
    const bytes = bodyBytes(response.body)
    const text = decoder.decode(bytes)
    const contentType = response.body._tag === "Empty" ? undefined : response.body.contentType
    this.headers = contentType === undefined ? response.headers : Headers.set(response.headers, "content-type", contentType)
    this.status = response.status
    this.cookies = response.cookies
    this.text = Effect.succeed(text)
    this.arrayBuffer = Effect.succeed(copyOf(bytes))
    this.stream = bytes.byteLength === 0 ? Stream.empty : Stream.succeed(bytes)
    this.json = Effect.try({
      try: () => JSON.parse(text) as Schema.Json,
      catch: (cause) =>
        new HttpClientError.HttpClientError({
          reason: new HttpClientError.DecodeError({ request, response: this, cause, description: "invalid JSON" })
        })
    })
    this.urlParamsBody = Effect.succeed(UrlParams.fromInput(new URLSearchParams(text)))
  }

  // built on demand: an error captures a stack trace, too dear to build for every response
  get formData(): Effect.Effect<FormData, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.DecodeError({
          request: this.request,
          response: this,
          description: "no form data in memory"
        })
      })
    )
  }

  get url(): string {
    return this.request.url
  }

  get upgrade(): Effect.Effect<never, HttpClientError.HttpClientError> {
    return Effect.fail(
      new HttpClientError.HttpClientError({
        reason: new HttpClientError.DecodeError({
          request: this.request,
          response: this,
          description: "no socket in memory"
        })
      })
    )
  }

  pipe(...args: ReadonlyArray<unknown>) {
    // `pipeArguments` reads only the length and the items of what it is given
    return pipeArguments(this, args as unknown as IArguments)
  }

  toJSON(): unknown {
    return { _id: "effect/http/HttpClientResponse", request: this.request.toJSON(), status: this.status }
  }
}

/** A client response holding what the app answered. @internal */
export const toClientResponse = (
  request: HttpClientRequest.HttpClientRequest,
  response: HttpServerResponse.HttpServerResponse
): HttpClientResponse.HttpClientResponse => new MemoryResponse(request, response)
