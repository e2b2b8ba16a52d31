/**
 * An `HttpClient` for the Hosecloud business APIs: it prefixes the edition host, attaches the current
 * token, and when a token is refused (HTTP 403) drops it, gets a fresh one and retries once.
 *
 * Spans and errors record the request with the token's place marked `<redacted>`, while only the wire
 * sees the token itself.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import { constTrue } from "effect/Function"
import { globalValue } from "effect/GlobalValue"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as AccessToken from "./AccessToken.js"
import * as ApiError from "./ApiError.js"
import type * as AuthError from "./AuthError.js"
import * as HosecloudAuth from "./HosecloudAuth.js"
import * as ClientSpan from "./internal/clientSpan.js"
import * as Http from "./internal/http.js"
import * as Validation from "./Validation.js"
import * as TokenProtocol from "./TokenProtocol.js"

/**
 * Everything a business request through `HosecloudClient` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ClientError = HttpClientError.HttpClientError | AuthError.AuthError | ApiError.Unauthorized

/**
 * The business-API client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service extends HttpClient.HttpClient.With<ClientError> {}

/**
 * The tag of the business-API client.
 *
 * @since 0.1.0
 * @category tags
 */
export class HosecloudClient extends Context.Tag("@effect-hosecloud/core/HosecloudClient")<HosecloudClient, Service>() {}

/**
 * Where the token travels: the `accessToken` query parameter (what the documented endpoints take), or
 * a header.
 *
 * @since 0.1.0
 * @category models
 */
export type TokenPlacement =
  | { readonly in: "query"; readonly name?: string | undefined }
  | { readonly in: "header"; readonly name: string }

/**
 * Options of the business-API client.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * The edition host. Default `https://app.ekuaibao.com` (the standalone edition). An effect is read
   * for every request, for a host that can change (see the adapters' host discovery).
   */
  readonly baseUrl?: string | Effect.Effect<string> | undefined
  /** Default `{ in: "query", name: "accessToken" }`. */
  readonly token?: TokenPlacement | undefined
  /**
   * The header that names a sub-tenant for a platform-level token (see `withTenant`). Not documented by
   * Hosecloud for v3; default `corpId`, as a withdrawn draft of the v3 page had it.
   */
  readonly tenantHeader?: string | undefined
}

/**
 * The standalone edition's host, the default business host.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultBaseUrl = "https://app.ekuaibao.com"

const redactedMarker = "<redacted>"

/**
 * The sub-tenant that requests made in this fiber act for.
 *
 * @since 0.1.0
 * @category tenants
 */
export const currentTenant: FiberRef.FiberRef<Option.Option<string>> = globalValue(
  Symbol.for("@effect-hosecloud/core/HosecloudClient/currentTenant"),
  () => FiberRef.unsafeMake(Option.none<string>())
)

/**
 * Makes the business requests of `self` act for the sub-tenant `corpId` (platform-level tokens only).
 * Unverified against Hosecloud: the v3 docs do not say how a platform token names a tenant.
 *
 * @example
 * ```ts
 * import { HosecloudClient } from "@effect-hosecloud/core"
 * import { Effect } from "effect"
 *
 * const corporation = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
 *   client.get("/api/openapi/v1/corporations")
 * ).pipe(HosecloudClient.withTenant("SUBcorp0001"))
 * ```
 *
 * @since 0.1.0
 * @category tenants
 */
export const withTenant =
  (corpId: string) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(self, currentTenant, Option.some(corpId))

/**
 * The business-API client over `HosecloudAuth` and an `HttpClient`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, AuthError.InvalidOptions, HosecloudAuth.HosecloudAuth | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const auth = yield* HosecloudAuth.HosecloudAuth
    const http = yield* HttpClient.HttpClient
    const { tenantHeader, tokenIn, tokenName } = yield* checkOptions(options)
    const baseUrl: Effect.Effect<string> = Effect.isEffect(options.baseUrl)
      ? Effect.map(options.baseUrl, trimSlash)
      : Effect.succeed(trimSlash(yield* Validation.url("baseUrl", options.baseUrl, defaultBaseUrl)))

    const attach = (request: HttpClientRequest.HttpClientRequest, token: AccessToken.AccessToken) =>
      tokenIn === "query"
        ? HttpClientRequest.setUrlParam(request, tokenName, Redacted.value(token.accessToken))
        : HttpClientRequest.setHeader(request, tokenName, Redacted.value(token.accessToken))

    // The span and any error describe `request` (token marked); only the wire request carries the token,
    // and it is sent with the platform's own span switched off.
    const send = (request: HttpClientRequest.HttpClientRequest, token: AccessToken.AccessToken) =>
      ClientSpan.traced(request, (traced) =>
        http.execute(attach(traced, token)).pipe(
          Effect.locally(HttpClient.currentTracerDisabledWhen, constTrue),
          Effect.map((response) => withRequest(response, request)),
          Effect.mapError((error) => rebase(error, request, Redacted.value(token.accessToken)))
        ))

    const prepare = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.zipWith(FiberRef.get(currentTenant), baseUrl, (tenant, base) => {
        let prepared = /^https?:\/\//i.test(request.url) ? request : HttpClientRequest.prependUrl(request, base)
        if (tokenIn === "query") prepared = HttpClientRequest.setUrlParam(prepared, tokenName, redactedMarker)
        if (Option.isSome(tenant)) prepared = HttpClientRequest.setHeader(prepared, tenantHeader, tenant.value)
        return prepared
      })

    return HttpClient.makeWith(
      (prepared: Effect.Effect<HttpClientRequest.HttpClientRequest>) =>
        Effect.gen(function*() {
          const request = yield* prepared
          const first = yield* auth.token
          const response = yield* send(request, first)
          if (response.status !== 403) return response
          // refused: drop this token (unless it was replaced meanwhile) and try once with a fresh one
          yield* Effect.ignore(response.arrayBuffer)
          yield* auth.invalidate(first)
          const fresh = yield* auth.token
          const again = yield* send(request, fresh)
          if (again.status !== 403) return again
          return yield* Effect.fail(
            new ApiError.Unauthorized({
              status: again.status,
              text: yield* messageOf(again),
              method: request.method,
              url: Http.safeUrl(request.url)
            })
          )
        }),
      prepare
    )
  })

/**
 * `HosecloudClient` over `HosecloudAuth` and an `HttpClient`. Fails with `InvalidOptions` when an
 * option is refused.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<HosecloudClient, AuthError.InvalidOptions, HosecloudAuth.HosecloudAuth | HttpClient.HttpClient> =>
  Layer.effect(HosecloudClient, make(options))

const checkOptions = (options: Options) =>
  Either.gen(function*() {
    const placement = options.token ?? { in: "query" as const }
    const tokenIn = yield* Validation.oneOf("token.in", placement.in, ["query", "header"] as const)
    const tokenName = tokenIn === "header"
      ? yield* Validation.headerName("token.name", placement.name)
      : placement.name === undefined
      ? "accessToken"
      : yield* Validation.nonEmptyString("token.name", placement.name)
    const tenantHeader = yield* Validation.headerName("tenantHeader", options.tenantHeader ?? "corpId")
    return { tokenIn, tokenName, tenantHeader }
  })

const trimSlash = (url: string) => url.replace(/\/+$/, "")

// ---- responses ------------------------------------------------------------------------------

/** The response as the caller sees it: the request it names is the one with the token's place redacted. */
class RebasedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  constructor(
    private readonly original: HttpClientResponse.HttpClientResponse,
    readonly request: HttpClientRequest.HttpClientRequest
  ) {
    super()
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
  toJSON(): unknown {
    return { _id: "@effect/platform/HttpClientResponse", request: this.request.toJSON(), status: this.status }
  }
}

const withRequest = (
  response: HttpClientResponse.HttpClientResponse,
  request: HttpClientRequest.HttpClientRequest
): HttpClientResponse.HttpClientResponse => new RebasedResponse(response, request)

/** The error as the caller sees it: about the redacted request, with the token masked in every text. */
const rebase = (
  error: HttpClientError.HttpClientError,
  request: HttpClientRequest.HttpClientRequest,
  token: string
): HttpClientError.HttpClientError => {
  const details = {
    request,
    cause: Http.safeHttpCause(error, [token]),
    ...(error.description === undefined ? {} : { description: Http.scrub(error.description, [token]) })
  }
  return error._tag === "RequestError"
    ? new HttpClientError.RequestError({ ...details, reason: error.reason })
    : new HttpClientError.ResponseError({
      ...details,
      response: withRequest(error.response, request),
      reason: error.reason
    })
}

const maxErrorBody = 64 * 1024

interface Described {
  readonly text: string
  readonly code: Option.Option<string>
  readonly traceId: Option.Option<string>
  readonly json: Option.Option<unknown>
}

const describe = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<Described> =>
  Http.readTextCapped(response, maxErrorBody).pipe(
    Effect.map((body): Described => {
      const json = Either.getRight(Either.try(() => JSON.parse(body) as unknown))
      const record = Option.getOrUndefined(Option.filter(json, isRecord))
      const field = (...names: Array<string>) => {
        for (const name of names) {
          const value = record?.[name]
          if (typeof value === "string" && value !== "") return Option.some(value)
          if (typeof value === "number") return Option.some(String(value))
        }
        return Option.none<string>()
      }
      const text = Option.getOrElse(
        field("errorMessage", "message", "msg", "error"),
        () => body.trim() === "" ? `HTTP ${response.status}` : body.trim().slice(0, 200)
      )
      return { text: Http.scrub(text), code: field("errorCode", "code"), traceId: field("traceId"), json }
    }),
    Effect.orElseSucceed(() => ({
      text: `HTTP ${response.status}`,
      code: Option.none(),
      traceId: Option.none(),
      json: Option.none()
    }))
  )

const messageOf = (response: HttpClientResponse.HttpClientResponse) => Effect.map(describe(response), (d) => d.text)

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const apiError = (
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

const decodeWith = <A, I, R>(
  schema: Schema.Schema<A, I, R>,
  response: HttpClientResponse.HttpClientResponse,
  described: Described,
  value: unknown
): Effect.Effect<A, ApiError.ApiError, R> =>
  Schema.decodeUnknown(schema)(value).pipe(
    Effect.mapError((error) =>
      apiError(response, "Decode", described, `the body was not of the expected shape (${TokenProtocol.issuePaths(error)})`)
    )
  )

/**
 * Decodes a business answer in the `{ "value": ... }` envelope with `schema`; a non-2xx status or another
 * shape is an `ApiError` with the status and the server's message.
 *
 * @example
 * ```ts
 * import { HosecloudClient } from "@effect-hosecloud/core"
 * import { Effect, Schema } from "effect"
 *
 * const Corporation = Schema.Struct({ id: Schema.String, name: Schema.String })
 *
 * const corporation = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
 *   client.get("/api/openapi/v1/corporations").pipe(Effect.flatMap(HosecloudClient.schemaValue(Corporation)))
 * )
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const schemaValue = <A, I, R>(schema: Schema.Schema<A, I, R>) =>
(
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<A, ApiError.ApiError, R> =>
  Effect.flatMap(describe(response), (described) => {
    if (response.status < 200 || response.status >= 300) return Effect.fail(apiError(response, "Status", described))
    const body = Option.getOrUndefined(Option.filter(described.json, isRecord))
    if (body === undefined || !("value" in body)) {
      return Effect.fail(apiError(response, "Decode", described, "the body was not a { value } envelope"))
    }
    return decodeWith(schema, response, described, body.value)
  })

/**
 * Decodes a business answer in the `{ code, msg, data }` envelope with `schema`. Codes `"200"` and `"0"`
 * mean success; any other code is an `ApiError` (reason `Code`) with the code, `msg` and `traceId`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const schemaData = <A, I, R>(schema: Schema.Schema<A, I, R>) =>
(
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<A, ApiError.ApiError, R> =>
  Effect.flatMap(describe(response), (described) => {
    if (response.status < 200 || response.status >= 300) return Effect.fail(apiError(response, "Status", described))
    const body = Option.getOrUndefined(Option.filter(described.json, isRecord))
    if (body === undefined || !("code" in body)) {
      return Effect.fail(apiError(response, "Decode", described, "the body was not a { code, msg, data } envelope"))
    }
    const code = String(body.code)
    if (code !== "200" && code !== "0") return Effect.fail(apiError(response, "Code", described))
    return decodeWith(schema, response, described, body.data)
  })

/**
 * Passes 2xx answers through and turns any other status into an `ApiError` with the server's message.
 *
 * @since 0.1.0
 * @category decoding
 */
export const filterOk = (
  response: HttpClientResponse.HttpClientResponse
): Effect.Effect<HttpClientResponse.HttpClientResponse, ApiError.ApiError> =>
  response.status >= 200 && response.status < 300
    ? Effect.succeed(response)
    : Effect.flatMap(describe(response), (described) => Effect.fail(apiError(response, "Status", described)))
