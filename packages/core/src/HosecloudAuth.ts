/**
 * Authentication with the Hosecloud Open API as an Effect service: a cached access token with single
 * flight, refresh before expiry on a schedule, retries with backoff, and a typed error union.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as AccessToken from "./AccessToken.js"
import type * as AuthError from "./AuthError.js"
import * as TokenCache from "./internal/tokenCache.js"
import * as TokenProtocol from "./TokenProtocol.js"
import * as TokenStore from "./TokenStore.js"

/**
 * Something that happened to the token, for watching and diagnostics (`events`).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthEvent = TokenCache.AuthEvent

/**
 * The authentication service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * A token valid now. Served from the cache while valid; otherwise every concurrent caller shares
   * one request. Fails with the last error once the retry budget for waiting callers is spent.
   */
  readonly token: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError>
  /** A new token now; joins a request already in flight. The old token is kept if this fails. */
  readonly refresh: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError>
  /** Drops `token` if it is still the current one (for a token the server rejected). Makes no request. */
  readonly invalidate: (token: AccessToken.AccessToken) => Effect.Effect<void>
  /** The cached token if it is valid now, without making a request. */
  readonly current: Effect.Effect<Option.Option<AccessToken.AccessToken>>
  /** Each new token as it arrives. */
  readonly changes: Stream.Stream<AccessToken.AccessToken>
  /** Tokens issued, refreshes scheduled, retries, failures and expiries as they happen. */
  readonly events: Stream.Stream<AuthEvent>
}

/**
 * The tag of the authentication service.
 *
 * @since 0.1.0
 * @category tags
 */
export class HosecloudAuth extends Context.Tag("@effect-hosecloud/core/HosecloudAuth")<HosecloudAuth, Service>() {}

/**
 * The library's metrics: `requests` and `failures` (tagged `hosecloud.protocol`, and `tag` for failures)
 * are counters, `refreshes` counts tokens replaced before expiry, `secondsToExpiry` is a gauge.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  requests: TokenCache.requests,
  failures: TokenCache.failures,
  refreshes: TokenCache.refreshes,
  secondsToExpiry: TokenCache.secondsToExpiry
} as const

/**
 * How the cache behaves, whatever the endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheOptions {
  /** Refresh this long before expiry, at most half the token's life. Default 5 minutes. */
  readonly refreshWindow?: Duration.DurationInput | undefined
  /** Time limit of one token request. Default 10 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /**
   * Retries of a SystemError while a valid token is still being served (a background refresh).
   * They never go past that token's expiry. Default `defaultRetry`.
   */
  readonly retry?: Schedule.Schedule<unknown, AuthError.SystemError> | undefined
  /** Retries of a SystemError while a caller waits with no valid token. Default `defaultWaitRetry`. */
  readonly waitRetry?: Schedule.Schedule<unknown, AuthError.SystemError> | undefined
  /** How long an InvalidKey is answered from memory before the key is tried again. Default 30 seconds. */
  readonly invalidKeyCooldown?: Duration.DurationInput | undefined
  /** Fetch a token while the layer is built and fail the layer if that fails. Default `false`. */
  readonly eager?: boolean | undefined
  /**
   * Share the token with other replicas through a store (see `TokenStore`); `HosecloudAuth.make` and
   * `layerShared` fill this in from `store` and the credentials.
   */
  readonly sharing?: TokenStore.SharingOptions | undefined
}

/**
 * Options of the v3 endpoint (the default).
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends CacheOptions {
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  /** The token host; `https:` only, except loopback hosts. Default `https://open.hosecloud.com`. */
  readonly baseUrl?: string | undefined
  /** Answers larger than this are a SystemError. Default 64 KiB. */
  readonly maxBodyBytes?: number | undefined
  /** A store to share the token with the other replicas that use these credentials. */
  readonly store?: TokenStore.Service | undefined
  /** With `store`: encrypt tokens at rest with a key derived from this secret. */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /** With `store`: how long one replica may hold the fetch lease. Default 15 seconds. */
  readonly leaseTtl?: Duration.DurationInput | undefined
}

/**
 * Background retries: exponential from 100 ms (doubling, ±20% jitter so replicas spread out),
 * each delay capped at 30 s. It never stops on its own: the old token's expiry is the limit.
 *
 * @since 0.1.0
 * @category schedules
 */
export const defaultRetry: Schedule.Schedule<unknown, AuthError.SystemError> = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("30 seconds"))
)

/**
 * Retries while a caller waits with no valid token: 4 retries, 100 ms doubling with jitter, within
 * 2 seconds in all (about 1.5 s of backoff plus the requests).
 *
 * @since 0.1.0
 * @category schedules
 */
export const defaultWaitRetry: Schedule.Schedule<unknown, AuthError.SystemError> = Schedule.exponential("100 millis")
  .pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(4)),
    Schedule.upTo("2 seconds")
  )

const resolveCacheOptions = (options: CacheOptions): TokenCache.CacheOptions => ({
  refreshWindow: Duration.decode(options.refreshWindow ?? "5 minutes"),
  requestTimeout: Duration.decode(options.requestTimeout ?? "10 seconds"),
  retry: options.retry ?? defaultRetry,
  waitRetry: options.waitRetry ?? defaultWaitRetry,
  invalidKeyCooldown: Duration.decode(options.invalidKeyCooldown ?? "30 seconds"),
  sharing: options.sharing
})

/**
 * The service over any token protocol (the v3 endpoint, a legacy one, a test double).
 * Background work is forked into the scope; closing it stops every request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (
  protocol: TokenProtocol.TokenProtocol,
  options: CacheOptions = {}
): Effect.Effect<Service, AuthError.AuthError, Scope.Scope> =>
  Effect.gen(function*() {
    const service = yield* TokenCache.make(protocol, resolveCacheOptions(options))
    if (options.eager === true) yield* service.token
    return service
  })

/**
 * The service over the v3 endpoint.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Service, AuthError.AuthError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const baseUrl = yield* Effect.orDie(validateBaseUrl(options.baseUrl ?? TokenProtocol.defaultBaseUrl))
    const protocol = yield* TokenProtocol.v3({
      appKey: options.appKey,
      appSecurity: options.appSecurity,
      baseUrl,
      maxBodyBytes: options.maxBodyBytes
    })
    const sharing = options.store === undefined ? options.sharing : {
      store: options.store,
      key: yield* TokenStore.keyFor({ appKey: options.appKey, baseUrl }),
      leaseTtl: options.leaseTtl,
      encryptionKey: options.encryptionKey
    }
    return yield* makeWith(protocol, { ...options, sharing })
  })

/**
 * The layer's error: `AuthError` only for `eager: true`.
 *
 * @since 0.1.0
 * @category models
 */
export type LayerError<O extends CacheOptions> = O extends { readonly eager: true } ? AuthError.AuthError : never

/**
 * `HosecloudAuth` over the v3 endpoint. Lazy by default: the first `token` makes the first request.
 *
 * @example
 * ```ts
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const AuthLive = HosecloudAuth.layer({
 *   appKey: "my-app-key",
 *   appSecurity: Redacted.make("my-app-security")
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * const program = Effect.gen(function*() {
 *   const auth = yield* HosecloudAuth.HosecloudAuth
 *   const token = yield* auth.token
 *   yield* Effect.log(`token for ${token.corpId}`)
 * }).pipe(Effect.provide(AuthLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = <const O extends Options>(
  options: O
): Layer.Layer<HosecloudAuth, LayerError<O>, HttpClient.HttpClient> =>
  Layer.scoped(HosecloudAuth, make(options)) as Layer.Layer<HosecloudAuth, LayerError<O>, HttpClient.HttpClient>

/**
 * `HosecloudAuth` over the v3 endpoint, sharing its token with the other replicas through the
 * `TokenStore` in the context: per refresh, one token request for the whole fleet.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerShared = <const O extends Omit<Options, "store">>(
  options: O
): Layer.Layer<HosecloudAuth, LayerError<O>, HttpClient.HttpClient | TokenStore.TokenStore> =>
  Layer.scoped(
    HosecloudAuth,
    Effect.flatMap(TokenStore.TokenStore, (store) => make({ ...options, store }))
  ) as Layer.Layer<HosecloudAuth, LayerError<O>, HttpClient.HttpClient | TokenStore.TokenStore>

/**
 * `HosecloudAuth` over any token protocol.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = <const O extends CacheOptions, E, R>(
  protocol: Effect.Effect<TokenProtocol.TokenProtocol, E, R>,
  options?: O
): Layer.Layer<HosecloudAuth, E | LayerError<O>, Exclude<R, Scope.Scope>> =>
  Layer.scoped(
    HosecloudAuth,
    Effect.flatMap(protocol, (p) => makeWith(p, options ?? {}))
  ) as Layer.Layer<HosecloudAuth, E | LayerError<O>, Exclude<R, Scope.Scope>>

/**
 * The credentials and host from configuration: `HOSECLOUD_APP_KEY`, `HOSECLOUD_APP_SECURITY` (redacted)
 * and `HOSECLOUD_BASE_URL` (optional, validated).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<{
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  readonly baseUrl: string
}> = Config.all({
  appKey: Config.nonEmptyString("HOSECLOUD_APP_KEY"),
  appSecurity: Config.redacted("HOSECLOUD_APP_SECURITY"),
  baseUrl: Config.string("HOSECLOUD_BASE_URL").pipe(
    Config.withDefault(TokenProtocol.defaultBaseUrl),
    Config.mapOrFail((url) =>
      Either.mapLeft(checkBaseUrl(url), (message) => ConfigError.InvalidData(["HOSECLOUD_BASE_URL"], message))
    )
  )
})

/**
 * `HosecloudAuth` over the v3 endpoint with the credentials read from `Config` (see `config`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = <const O extends CacheOptions>(
  options?: O
): Layer.Layer<HosecloudAuth, ConfigError.ConfigError | LayerError<O>, HttpClient.HttpClient> =>
  Layer.scoped(
    HosecloudAuth,
    Effect.flatMap(config, (credentials) => make({ ...options, ...credentials }))
  ) as Layer.Layer<HosecloudAuth, ConfigError.ConfigError | LayerError<O>, HttpClient.HttpClient>

/**
 * Checks that a token host is `https:`, or `http:` on a loopback host (for tests and the simulator).
 *
 * @since 0.1.0
 * @category validation
 */
export const validateBaseUrl = (url: string): Effect.Effect<string, Cause.IllegalArgumentException> =>
  Either.match(checkBaseUrl(url), {
    onLeft: (message) => Effect.fail(new Cause.IllegalArgumentException(message)),
    onRight: Effect.succeed
  })

/**
 * Checks a base URL without effects: `Right(url)`, or `Left` with the reason in words.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkBaseUrl = (url: string): Either.Either<string, string> => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Either.left(`not a URL: ${JSON.stringify(url)}`)
  }
  if (parsed.protocol === "https:") return Either.right(url)
  if (parsed.protocol === "http:" && loopbackHosts.has(parsed.hostname)) return Either.right(url)
  return Either.left(
    `a Hosecloud base URL must use https: (http: only on 127.0.0.1, localhost or [::1]), got ${parsed.origin}`
  )
}

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"])
