/**
 * An `HttpClient` for the Hosecloud business APIs: it prefixes the edition host, attaches the current
 * token, and when a token is refused (HTTP 403) drops it, gets a fresh one and retries once.
 *
 * Spans and errors record the request with the token's place marked `<redacted>`, while only the wire
 * sees the token itself.
 *
 * @since 0.1.0
 */
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type * as Schema from "effect/Schema"
import type * as ApiError from "./ApiError.js"
import * as AuthError from "./AuthError.js"
import * as HosecloudAuth from "./HosecloudAuth.js"
import * as BusinessRequest from "./internal/businessRequest.js"
import * as BusinessWire from "./internal/businessWire.js"
import { apiError, decodeWith, describe, isRecord } from "./internal/businessResponse.js"
import * as Validation from "./Validation.js"
import { urlConfig } from "./internal/urlConfig.js"

/**
 * Everything a business request through `HosecloudClient` can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type ClientError = BusinessRequest.RequestError

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
export class HosecloudClient extends Context.Service<HosecloudClient, Service>()("@effect-hosecloud/core/HosecloudClient") {}

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
   * The business host (`HOSECLOUD_API_URL`): the customer's edition host, where the token is sent; not the
   * token host (`authUrl` of `HosecloudAuth`). Default `https://app.ekuaibao.com` (the standalone edition).
   * An effect is read for every request, for a host that can change (see the adapters' host discovery).
   */
  readonly apiUrl?: string | Effect.Effect<string> | undefined
  /** Default `{ in: "query", name: "accessToken" }`. */
  readonly token?: TokenPlacement | undefined
  /**
   * The header that names a sub-tenant for a platform-level token (see `withTenant`). Not documented by
   * Hosecloud for v3; default `corpId`, as a withdrawn draft of the v3 page had it.
   */
  readonly tenantHeader?: string | undefined
  /**
   * Origins besides the business host's that requests may go to, with the token (for example another
   * edition's host). Requests to any other origin, by an absolute URL or a redirect, fail with
   * `ForeignOrigin` before anything is sent. `https:` only (plain `http:` on loopback).
   */
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
}

/**
 * The standalone edition's host, the default business host.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultApiUrl = "https://app.ekuaibao.com"

/**
 * The sub-tenant that requests made in this fiber act for.
 *
 * @since 0.1.0
 * @category tenants
 */
export const currentTenant: Context.Reference<Option.Option<string>> = Context.Reference(
  "@effect-hosecloud/core/HosecloudClient/currentTenant",
  { defaultValue: Option.none<string> }
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
    Effect.provideService(self, currentTenant, Option.some(corpId))

/**
 * The business-API client over `HosecloudAuth` and an `HttpClient`.
 *
 * Its transport is made here, once, over the `HttpClient`. The request that carries the token is sent with
 * the platform's own span turned off for that request alone (the client records one span of its own, on the
 * request with the token's place redacted): the caller's other requests keep their spans. Redirects are never
 * followed: the platform's Node clients do not follow them, a `fetch`-based `HttpClient` (`FetchHttpClient`)
 * is told `redirect: "manual"` for each request, and the client answers a 3xx itself. Both are one change of
 * the request's context, which also makes the client's span the parent of the transport's work.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, AuthError.InvalidOptions, HosecloudAuth.HosecloudAuth | HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { allowedOrigins, tenantHeader, tokenIn, tokenName } = yield* Effect.fromResult(checkOptions(options))
    const apiUrl: string | Effect.Effect<string> = Effect.isEffect(options.apiUrl)
      ? Effect.map(options.apiUrl, trimSlash)
      : trimSlash(yield* Effect.fromResult(Validation.url("apiUrl", options.apiUrl, defaultApiUrl)))
    const settings: BusinessRequest.Settings = {
      auth: yield* HosecloudAuth.HosecloudAuth,
      wire: yield* BusinessWire.make(yield* HttpClient.HttpClient),
      tokenIn,
      tokenName,
      tenantHeader,
      currentTenant,
      apiUrl,
      allowedOrigins
    }
    return HttpClient.makeWith(BusinessRequest.execute(settings), BusinessRequest.prepare(settings))
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

/**
 * The business host from configuration: `HOSECLOUD_API_URL`, default `https://app.ekuaibao.com` (the
 * standalone edition). `https:` only, except loopback hosts. (The adapters' `Edition.apiUrlConfig` also
 * reads `HOSECLOUD_EDITION`.)
 *
 * @since 0.2.0
 * @category config
 */
export const apiUrlConfig: Config.Config<string> = urlConfig("HOSECLOUD_API_URL").pipe(
  Config.withDefault(defaultApiUrl)
)

/**
 * `HosecloudClient` on the business host from configuration (`HOSECLOUD_API_URL`, see `apiUrlConfig`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layerConfig = (
  options?: Omit<Options, "apiUrl">
): Layer.Layer<
  HosecloudClient,
  Config.ConfigError | AuthError.InvalidOptions,
  HosecloudAuth.HosecloudAuth | HttpClient.HttpClient
> => Layer.unwrap(Effect.map(apiUrlConfig, (apiUrl) => layer({ ...options, apiUrl })))

const checkOptions = (options: Options) =>
  Result.gen(function*() {
    const placement = options.token ?? { in: "query" as const }
    const tokenIn = yield* Validation.oneOf("token.in", placement.in, ["query", "header"] as const)
    const tokenName = tokenIn === "header"
      ? yield* Validation.headerName("token.name", placement.name)
      : placement.name === undefined
      ? "accessToken"
      : yield* Validation.nonEmptyString("token.name", placement.name)
    const tenantHeader = yield* Validation.headerName("tenantHeader", options.tenantHeader ?? "corpId")
    const allowed = options.allowedOrigins ?? []
    if (!Array.isArray(allowed)) {
      return yield* Result.fail(new AuthError.InvalidOptions({ option: "allowedOrigins", rule: "must be an array of URLs" }))
    }
    const origins = new Set<string>()
    for (const [i, origin] of allowed.entries()) {
      origins.add(new URL(yield* Validation.url(`allowedOrigins[${i}]`, origin)).origin)
    }
    return { tokenIn, tokenName, tenantHeader, allowedOrigins: origins as ReadonlySet<string> }
  })

const trimSlash = (url: string) => url.replace(/\/+$/, "")

// ---- responses ------------------------------------------------------------------------------

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
export const schemaValue = <A, I, R>(schema: Schema.Codec<A, I, R>) =>
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
export const schemaData = <A, I, R>(schema: Schema.Codec<A, I, R>) =>
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
