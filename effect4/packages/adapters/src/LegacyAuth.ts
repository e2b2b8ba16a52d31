/**
 * The legacy endpoints on the edition hosts, as token protocols for `HosecloudAuth`: v1 getAccessToken as
 * a token source, and the v2 refresh-token exchange as a refresh strategy. The cache, single flight and
 * retries are the core's; only the wire differs.
 *
 * @since 0.1.0
 */
import { type AccessToken, AuthError, HosecloudAuth, TokenProtocol, Validation } from "@effect-hosecloud/core"
import * as Effect from "effect/Effect"
import { constTrue } from "effect/Function"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import { check } from "./internal/check.js"

/**
 * The v1 getAccessToken path.
 *
 * @since 0.1.0
 * @category constants
 */
export const v1Path = "/api/openapi/v1/auth/getAccessToken"

/**
 * The v2 refresh-token path; with `expireDays`, its `/expireDate` variant is used.
 *
 * @since 0.1.0
 * @category constants
 */
export const v2RefreshPath = "/api/openapi/v2/auth/refreshToken"

/**
 * The `{ "value": {...} }` answer of v1 getAccessToken and of the v2 exchange.
 *
 * @since 0.1.0
 * @category wire
 */
export const LegacyTokenEnvelope = Schema.Struct({
  value: Schema.Struct({
    accessToken: Schema.RedactedFromValue(Schema.NonEmptyString),
    refreshToken: Schema.RedactedFromValue(Schema.String),
    expireTime: Schema.Finite,
    corporationId: Schema.String
  })
})

const decodeEnvelope = Schema.decodeUnknownResult(LegacyTokenEnvelope)

/**
 * Interprets a legacy token answer: HTTP 200 with `{ value }` is a token; HTTP 403 is `InvalidKey` when
 * `refusedIsInvalidKey` (v1 getAccessToken), a `SystemError` otherwise (a refused exchange); anything else
 * is a `SystemError`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeLegacy = (
  status: number,
  body: string,
  serverTime: Option.Option<number>,
  refusedIsInvalidKey: boolean
): Result.Result<AccessToken.IssuedToken, AuthError.AuthError> => {
  const json = Result.try(() => JSON.parse(body) as unknown)
  const record = Result.isSuccess(json) && typeof json.success === "object" && json.success !== null
    ? json.success as Record<string, unknown>
    : undefined
  const text = (name: string) => typeof record?.[name] === "string" ? record[name] as string : undefined
  const message = text("errorMessage") ?? text("message") ?? text("msg")
  if (status === 403 && refusedIsInvalidKey) {
    return Result.fail(new AuthError.InvalidKey({ code: "403", msg: message ?? "密钥无效" }))
  }
  if (status < 200 || status >= 300) {
    return Result.fail(AuthError.systemError({
      reason: "Upstream",
      status,
      msg: message,
      traceId: text("traceId"),
      description: `the legacy endpoint answered HTTP ${status}${message === undefined ? "" : ` (${message})`}`
    }))
  }
  if (Result.isFailure(json)) {
    return Result.fail(AuthError.systemError({ reason: "Decode", status, description: "the answer was not JSON" }))
  }
  const decoded = decodeEnvelope(json.success)
  if (Result.isFailure(decoded)) {
    return Result.fail(AuthError.systemError({
      reason: "Decode",
      status,
      description: `the answer was not a { value } token envelope (${TokenProtocol.issuePaths(decoded.failure)})`
    }))
  }
  const value = decoded.success.value
  return Result.succeed({
    corpId: value.corporationId,
    accessToken: value.accessToken,
    refreshToken: value.refreshToken,
    scope: "tenant",
    expiresTime: value.expireTime,
    serverTime
  })
}

const exchange = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  refusedIsInvalidKey: boolean,
  maxBodyBytes: number
) =>
  Effect.flatMap(
    TokenProtocol.fetchAnswer(client, request, maxBodyBytes),
    ({ body, response, status }) =>
      Effect.fromResult(decodeLegacy(status, body, TokenProtocol.serverTime(response), refusedIsInvalidKey))
  )

/**
 * Options of the v1 token source.
 *
 * @since 0.1.0
 * @category models
 */
export interface V1Options {
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  /** The edition host, e.g. `Edition.hostOf("dingtalk")`. */
  readonly apiUrl: string
  /** Default 64 KiB. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * `POST {apiUrl}/api/openapi/v1/auth/getAccessToken` with `{ appKey, appSecurity }` in the body.
 *
 * @since 0.1.0
 * @category constructors
 */
export const v1 = (
  options: V1Options
): Effect.Effect<TokenProtocol.TokenProtocol, AuthError.InvalidOptions, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const appKey = yield* check(Validation.nonEmptyString("appKey", options.appKey))
    const appSecurity = yield* check(Validation.secret("appSecurity", options.appSecurity))
    const apiUrl = yield* check(Validation.url("apiUrl", options.apiUrl))
    const url = TokenProtocol.joinUrl(apiUrl, v1Path)
    const maxBodyBytes = yield* check(
      Validation.size("maxBodyBytes", options.maxBodyBytes, TokenProtocol.defaultMaxBodyBytes)
    )
    const issue = Effect.suspend(() =>
      exchange(
        client,
        HttpClientRequest.post(url).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyJsonUnsafe({ appKey, appSecurity: Redacted.value(appSecurity) })
        ),
        true,
        maxBodyBytes
      )
    )
    return TokenProtocol.scrubbed({
      name: "v1",
      issue,
      refresh: Option.none(),
      secrets: [appSecurity],
      serverAddress: new URL(url).hostname
    })
  })

/**
 * Options of the v2 refresh-token exchange.
 *
 * @since 0.1.0
 * @category models
 */
export interface V2RefreshOptions {
  /** The edition host. */
  readonly apiUrl: string
  /** Ask for a token of this many days (`/refreshToken/expireDate`); the licence caps it. */
  readonly expireDays?: number | undefined
  /** Default 64 KiB. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * Adds the v2 refresh-token exchange to a protocol: while a token is valid, it is exchanged for a new
 * pair (`POST .../v2/auth/refreshToken?accessToken&refreshToken&powerCode=219904`); when the exchange fails
 * (or the token has expired) `HosecloudAuth` falls back to the protocol's `issue`.
 *
 * Both tokens travel in the query string, so the platform's client span is switched off for this request
 * and a span of its own, with no URL query, is recorded instead.
 *
 * @since 0.1.0
 * @category constructors
 */
export const withV2Refresh = (
  protocol: TokenProtocol.TokenProtocol,
  options: V2RefreshOptions
): Effect.Effect<TokenProtocol.TokenProtocol, AuthError.InvalidOptions, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const apiUrl = yield* check(Validation.url("apiUrl", options.apiUrl))
    const expireDays = options.expireDays === undefined
      ? undefined
      : yield* check(Validation.integer("expireDays", options.expireDays, 1, 3650))
    const path = expireDays === undefined ? v2RefreshPath : `${v2RefreshPath}/expireDate`
    const url = TokenProtocol.joinUrl(apiUrl, path)
    const maxBodyBytes = yield* check(
      Validation.size("maxBodyBytes", options.maxBodyBytes, TokenProtocol.defaultMaxBodyBytes)
    )
    const refresh = (current: AccessToken.AccessToken) =>
      Effect.suspend(() =>
        exchange(
          client,
          HttpClientRequest.post(url).pipe(
            HttpClientRequest.acceptJson,
            HttpClientRequest.setUrlParams({
              accessToken: Redacted.value(current.accessToken),
              refreshToken: Redacted.value(current.refreshToken),
              powerCode: "219904",
              ...(expireDays === undefined ? {} : { expireDate: String(expireDays) })
            })
          ),
          false,
          maxBodyBytes
        )
      ).pipe(
        Effect.provideService(HttpClient.TracerDisabledWhen, constTrue),
        Effect.withSpan("HosecloudAuth.v2.refreshToken", {
          kind: "client",
          attributes: { "http.request.method": "POST", "url.path": path, "server.address": new URL(apiUrl).hostname }
        })
      )
    return TokenProtocol.scrubbed({
      name: `${protocol.name}+v2refresh`,
      issue: protocol.issue,
      refresh: Option.some(refresh),
      secrets: protocol.secrets,
      serverAddress: protocol.serverAddress
    })
  })

/**
 * Options of `HosecloudAuth` over the legacy endpoints.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends V1Options, HosecloudAuth.CacheOptions {
  /**
   * `"reissue"` (default): refresh by getting a new token. `"v2"`: exchange the refresh token while the
   * access token is valid, falling back to a new token.
   */
  readonly refresh?: "reissue" | "v2" | undefined
  /** With `refresh: "v2"`: the lifetime in days to ask for. */
  readonly expireDays?: number | undefined
}

/**
 * `HosecloudAuth` over v1 getAccessToken, optionally refreshing through the v2 exchange.
 *
 * @example
 * ```ts
 * import { Edition, LegacyAuth } from "@effect-hosecloud/adapters"
 * import { Redacted } from "effect"
 *
 * const AuthLive = LegacyAuth.layer({
 *   appKey: "your-app-key",
 *   appSecurity: Redacted.make("your-app-security"),
 *   apiUrl: Edition.hostOf("dingtalk"),
 *   refresh: "v2"
 * })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<HosecloudAuth.HosecloudAuth, AuthError.InvalidOptions, HttpClient.HttpClient> =>
  HosecloudAuth.layerWith(
    Effect.flatMap(v1(options), (protocol) =>
      options.refresh === "v2"
        ? withV2Refresh(protocol, {
          apiUrl: options.apiUrl,
          expireDays: options.expireDays,
          maxBodyBytes: options.maxBodyBytes
        })
        : Effect.succeed(protocol)),
    options
  )
