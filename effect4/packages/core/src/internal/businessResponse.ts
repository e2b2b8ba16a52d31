/**
 * Business responses and errors as the caller sees them: they describe the request with the token's place
 * marked `<redacted>`, and every text taken from the server is scrubbed of the secrets the request carried.
 * The decoding helpers of `HosecloudClient` read bodies through here.
 *
 * @internal
 */
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Inspectable from "effect/Inspectable"
import * as Option from "effect/Option"
import { pipeArguments } from "effect/Pipeable"
import * as Schema from "effect/Schema"
import * as ApiError from "../ApiError.js"
import * as TokenProtocol from "../TokenProtocol.js"
import * as Http from "./http.js"
import * as Secrets from "./secrets.js"

/** The response as the caller sees it: the request it names is the one with the token's place redacted. */
class RebasedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: typeof HttpClientResponse.TypeId = HttpClientResponse.TypeId
  constructor(
    private readonly original: HttpClientResponse.HttpClientResponse,
    readonly request: HttpClientRequest.HttpClientRequest
  ) {
    super()
  }
  get url() {
    return this.original.url
  }
  get status() {
    return this.original.status
  }
  get headers() {
    return this.original.headers
  }
  get cookies() {
    return this.original.cookies
  }
  get remoteAddress() {
    return this.original.remoteAddress
  }
  get formData() {
    return this.original.formData
  }
  get text() {
    return this.original.text
  }
  get json() {
    return this.original.json
  }
  get urlParamsBody() {
    return this.original.urlParamsBody
  }
  get arrayBuffer() {
    return this.original.arrayBuffer
  }
  get stream() {
    return this.original.stream
  }
  get upgrade() {
    return this.original.upgrade
  }
  pipe(...args: ReadonlyArray<unknown>) {
    // `pipeArguments` reads only the length and the items of what it is given
    return pipeArguments(this, args as unknown as IArguments)
  }
  toJSON(): unknown {
    return { _id: "effect/http/HttpClientResponse", request: this.request.toJSON(), status: this.status }
  }
}

/**
 * The response as the caller sees it, remembering the secrets its request carried for whoever describes it.
 *
 * @internal
 */
export const withRequest = (
  response: HttpClientResponse.HttpClientResponse,
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>
): HttpClientResponse.HttpClientResponse => Secrets.remember(new RebasedResponse(response, request), secrets)

/** The error as the caller sees it: about the redacted request, with the secrets masked in every text. @internal */
export const rebase = (
  error: HttpClientError.HttpClientError,
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>
): HttpClientError.HttpClientError => {
  const reason = error.reason
  const details = {
    request,
    cause: Http.safeHttpCause(error, secrets),
    ...(reason._tag === "TransportError"
      ? { description: Http.describeTransport(error) }
      : reason.description === undefined
      ? {}
      : { description: Secrets.scrub(reason.description, secrets) })
  }
  return new HttpClientError.HttpClientError({ reason: rebasedReason(reason, details, request, secrets) })
}

const rebasedReason = (
  reason: HttpClientError.HttpClientErrorReason,
  details: {
    readonly request: HttpClientRequest.HttpClientRequest
    readonly cause: Error
    readonly description?: string
  },
  request: HttpClientRequest.HttpClientRequest,
  secrets: ReadonlyArray<string>
): HttpClientError.HttpClientErrorReason => {
  switch (reason._tag) {
    case "TransportError":
      return new HttpClientError.TransportError(details)
    case "EncodeError":
      return new HttpClientError.EncodeError(details)
    case "InvalidUrlError":
      return new HttpClientError.InvalidUrlError(details)
    case "StatusCodeError":
      return new HttpClientError.StatusCodeError({ ...details, response: withRequest(reason.response, request, secrets) })
    case "DecodeError":
      return new HttpClientError.DecodeError({ ...details, response: withRequest(reason.response, request, secrets) })
    case "EmptyBodyError":
      return new HttpClientError.EmptyBodyError({ ...details, response: withRequest(reason.response, request, secrets) })
  }
}

const maxErrorBody = 64 * 1024

/** What a business answer says, its texts scrubbed. @internal */
export interface Described {
  /** The server's message, or the body's text, or `HTTP <status>`. */
  readonly text: string
  /** The server's message, when the body has one a person can read (a JSON message field, or plain text). */
  readonly message: Option.Option<string>
  readonly code: Option.Option<string>
  readonly traceId: Option.Option<string>
  readonly json: Option.Option<unknown>
}

/** A body's text, scrubbed before it is cut short (so that no part of a secret is left at the cut). */
const readable = (body: string, secrets: ReadonlyArray<string>): Option.Option<string> => {
  const trimmed = body.trim()
  // an empty body or a proxy's HTML page says nothing a person could act on
  return trimmed === "" || trimmed.startsWith("<") ? Option.none() : Option.some(Secrets.scrub(trimmed, secrets).slice(0, 200))
}

/** Reads and describes a business answer (at most 64 KiB of it). @internal */
export const describe = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<Described> => {
  const secrets = Secrets.of(response)
  return Http.readTextCapped(response, maxErrorBody).pipe(
    Effect.map((body): Described => {
      const json = Result.getSuccess(Result.try(() => JSON.parse(body) as unknown))
      const record = Option.getOrUndefined(Option.filter(json, isRecord))
      const field = (...names: Array<string>) => {
        for (const name of names) {
          const value = record?.[name]
          if (typeof value === "string" && value !== "") return Option.some(Secrets.scrub(value, secrets))
          if (typeof value === "number") return Option.some(String(value))
        }
        return Option.none<string>()
      }
      const message = record === undefined
        ? Option.filter(readable(body, secrets), () => Option.isNone(json))
        : field("errorMessage", "message", "msg", "error")
      const text = Option.getOrElse(message, () => Option.getOrElse(readable(body, secrets), () => `HTTP ${response.status}`))
      return { text, message, code: field("errorCode", "code"), traceId: field("traceId"), json }
    }),
    Effect.orElseSucceed(() => ({
      text: `HTTP ${response.status}`,
      message: Option.none(),
      code: Option.none(),
      traceId: Option.none(),
      json: Option.none()
    }))
  )
}

/** @internal */
export const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** @internal */
export const apiError = (
  response: HttpClientResponse.HttpClientResponse,
  reason: ApiError.ApiError["reason"],
  described: Described,
  text?: string
) =>
  new ApiError.ApiError({
    reason,
    status: response.status,
    text: text ?? described.text,
    code: described.code,
    traceId: described.traceId,
    method: response.request.method,
    url: Http.safeUrl(response.request.url)
  })

/** @internal */
export const decodeWith = <A, I, R>(
  schema: Schema.Codec<A, I, R>,
  response: HttpClientResponse.HttpClientResponse,
  described: Described,
  value: unknown
): Effect.Effect<A, ApiError.ApiError, R> =>
  Schema.decodeUnknownEffect(schema)(value).pipe(
    Effect.mapError((error) =>
      apiError(response, "Decode", described, `the body was not of the expected shape (${TokenProtocol.issuePaths(error)})`)
    )
  )

