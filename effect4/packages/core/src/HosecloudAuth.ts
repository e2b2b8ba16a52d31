/**
 * Authentication with the Hosecloud Open API as an Effect service: a cached access token with single
 * flight, refresh before expiry on a schedule, retries with backoff, and a typed error union.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "effect/http/HttpClient"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as AccessToken from "./AccessToken.js"
import type * as AuthError from "./AuthError.js"
import * as AuthOptions from "./internal/authOptions.js"
import * as Metrics from "./internal/engine/metrics.js"
import * as Validation from "./Validation.js"
import { urlConfig } from "./internal/urlConfig.js"
import * as SharedToken from "./internal/sharedToken.js"
import * as TokenEngine from "./internal/tokenEngine.js"
import * as TokenProtocol from "./TokenProtocol.js"
import * as TokenStore from "./TokenStore.js"

/**
 * Something that happened to the token, for watching and diagnostics (`events`).
 *
 * @since 0.1.0
 * @category models
 */
export type AuthEvent = TokenEngine.AuthEvent

/**
 * The authentication service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * A token valid now. Served from the cache while valid; otherwise every concurrent caller shares
   * one request, and waits at most `waitTimeout` for it. Interrupts the caller once the service's scope
   * has closed.
   */
  readonly token: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError>
  /** A new token now; joins a request already in flight. The old token is kept if this fails. */
  readonly refresh: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError>
  /**
   * Drops `token` if it is still the current one (for a token the server rejected), unless a token was
   * dropped less than `invalidationInterval` ago (then it is kept, with a Warning). Makes no request.
   */
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
export class HosecloudAuth extends Context.Service<HosecloudAuth, Service>()("@effect-hosecloud/core/HosecloudAuth") {}

/**
 * The library's metrics: `requests` and `failures` (tagged `hosecloud.protocol`, and `tag` for failures)
 * are counters, `refreshes` counts tokens replaced before expiry, `secondsToExpiry` is a gauge.
 *
 * @since 0.1.0
 * @category metrics
 */
export const metrics = {
  requests: Metrics.requests,
  failures: Metrics.failures,
  refreshes: Metrics.refreshes,
  secondsToExpiry: Metrics.secondsToExpiry
} as const

/**
 * How the cache behaves, whatever the endpoint. Every option is checked when the service is built: a
 * bad one fails it with `AuthError.InvalidOptions`.
 *
 * @since 0.1.0
 * @category models
 */
export interface CacheOptions {
  /**
   * When to refresh in the background, as `Effect.repeat(refresh, refreshSchedule)` would: one run for the
   * life of the service, its state kept across tokens, each step's input the token just obtained (by the
   * refresh or a caller); each recurrence refreshes it. A token is never refreshed before half its life has
   * passed; a recurrence due at or after its expiry lets it expire (`TokenExpired`), and nothing is fetched
   * until a caller asks. Once the schedule is done, tokens are fetched on demand. Default
   * `refreshBefore(refreshWindow)`; `Schedule.stop` refreshes on demand only.
   *
   * @example
   * ```ts
   * import { HosecloudAuth } from "@effect-hosecloud/core"
   * import { Redacted, Schedule } from "effect"
   *
   * // two background refreshes, 90 minutes apart, then tokens on demand
   * const AuthLive = HosecloudAuth.layer({
   *   appKey: "your-app-key",
   *   appSecurity: Redacted.make("your-app-security"),
   *   refreshSchedule: Schedule.max([Schedule.spaced("90 minutes"), Schedule.recurs(2)])
   * })
   * ```
   */
  readonly refreshSchedule?: Schedule.Schedule<unknown, AccessToken.AccessToken> | undefined
  /** With the default `refreshSchedule`: refresh this long before expiry. Default 5 minutes. */
  readonly refreshWindow?: Duration.Input | undefined
  /** Time limit of one token request. Default 10 seconds. */
  readonly requestTimeout?: Duration.Input | undefined
  /**
   * The longest a caller with no valid token waits for one, requests and retries included; then it
   * gets the last error (or a `SystemError` with reason `Timeout`). Default 10 seconds.
   */
  readonly waitTimeout?: Duration.Input | undefined
  /**
   * Retries of a SystemError while a valid token is still being served (a background refresh).
   * They never go past that token's expiry. Default `defaultRetry`.
   */
  readonly retry?: Schedule.Schedule<unknown, AuthError.SystemError> | undefined
  /** Retries of a SystemError while a caller waits with no valid token. Default `defaultWaitRetry`. */
  readonly waitRetry?: Schedule.Schedule<unknown, AuthError.SystemError> | undefined
  /** How long an InvalidKey is answered from memory before the key is tried again. Default 30 seconds. */
  readonly invalidKeyCooldown?: Duration.Input | undefined
  /**
   * At most one token is dropped by `invalidate` per this interval: an API that refuses every token costs
   * at most one token request per interval (12 a minute by default). Default 5 seconds.
   */
  readonly invalidationInterval?: Duration.Input | undefined
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
  /**
   * The token host (`HOSECLOUD_AUTH_URL`), where `appSecurity` is sent; not the business host (`apiUrl` of
   * `HosecloudClient`). `https:` only, except loopback hosts. Default `https://open.hosecloud.com`.
   */
  readonly authUrl?: string | undefined
  /** Answers larger than this are a SystemError. Default 64 KiB. */
  readonly maxBodyBytes?: number | undefined
  /** A store to share the token with the other replicas that use these credentials. */
  readonly store?: TokenStore.Service | undefined
  /**
   * With `store`: encrypt tokens at rest (AES-256-GCM, the key derived with HKDF) with this random key of
   * at least 32 characters. Replicas with one key share one token; replicas with another keep their own.
   */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
  /**
   * With `store`: how long the fetch lease lasts unless its holder renews it (it does, while it fetches), so
   * how long a replica that died holding it can delay the others. Default 3 seconds.
   */
  readonly leaseTtl?: Duration.Input | undefined
}

/**
 * Background retries: exponential from 100 ms (doubling, ±20% jitter so replicas spread out),
 * each delay capped at 30 s. It never stops on its own: the old token's expiry is the limit.
 *
 * @since 0.1.0
 * @category schedules
 */
export const defaultRetry: Schedule.Schedule<unknown, AuthError.SystemError> = AuthOptions.defaultRetry

/**
 * Retries while a caller waits with no valid token: 4 retries, 100 ms doubling with jitter, within
 * 2 seconds in all (about 1.5 s of backoff plus the requests). `waitTimeout` bounds the whole wait.
 *
 * @since 0.1.0
 * @category schedules
 */
export const defaultWaitRetry: Schedule.Schedule<unknown, AuthError.SystemError> = AuthOptions.defaultWaitRetry

/**
 * The default refresh rule: refresh `window` before the token expires, the window cut to at most half
 * the token's life (so a short-lived token is refreshed at half its life, never in a loop).
 *
 * @example
 * ```ts
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { Duration, Effect, Random, Redacted, Schedule } from "effect"
 *
 * // replicas that wait 90-100% of the default delay, at random, so a fleet does not refresh at once
 * const AuthLive = HosecloudAuth.layer({
 *   appKey: "your-app-key",
 *   appSecurity: Redacted.make("your-app-security"),
 *   refreshSchedule: HosecloudAuth.refreshBefore("10 minutes").pipe(
 *     Schedule.modifyDelay(({ duration }) => Effect.map(Random.nextBetween(0.9, 1), (f) => Duration.times(duration, f)))
 *   )
 * })
 * ```
 *
 * @since 0.2.0
 * @category schedules
 */
export const refreshBefore: (
  window: Duration.Input
) => Schedule.Schedule<AccessToken.AccessToken, AccessToken.AccessToken> = AuthOptions.refreshBefore

/**
 * The service over any token protocol (the v3 endpoint, a legacy one, a test double). Checks the options
 * first (a bad one is an `InvalidOptions`); background work is forked into the scope, and closing it
 * stops every request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeWith = (
  protocol: TokenProtocol.TokenProtocol,
  options: CacheOptions = {}
): Effect.Effect<Service, AuthError.InvalidOptions, Scope.Scope> =>
  Effect.flatMap(Effect.fromResult(AuthOptions.checkCacheOptions(options)), ({ settings, sharing }) =>
    Effect.flatMap(
      sharing === undefined ? Effect.succeed(undefined) : SharedToken.make(sharing, settings.refreshWindow),
      (coordinator) => TokenEngine.make(protocol, settings, coordinator)
    ))

/**
 * The service over the v3 endpoint. Checks the credentials and every option first: a bad one is an
 * `InvalidOptions` that names it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options
): Effect.Effect<Service, AuthError.InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const { appKey, appSecurity } = yield* Effect.fromResult(AuthOptions.checkCredentials(options))
    const authUrl = yield* Effect.fromResult(Validation.url("authUrl", options.authUrl, TokenProtocol.defaultAuthUrl))
    const maxBodyBytes = yield* Effect.fromResult(
      Validation.size("maxBodyBytes", options.maxBodyBytes, TokenProtocol.defaultMaxBodyBytes)
    )
    const protocol = yield* TokenProtocol.v3({ appKey, appSecurity, authUrl, maxBodyBytes })
    const sharing = options.store === undefined ? options.sharing : {
      store: options.store,
      key: yield* TokenStore.keyFor({ appKey, authUrl }),
      leaseTtl: options.leaseTtl,
      encryptionKey: options.encryptionKey
    }
    return yield* makeWith(protocol, { ...options, sharing })
  })

/**
 * `HosecloudAuth` over the v3 endpoint. Lazy: the first `token` makes the first request (see `eager`).
 * Fails with `InvalidOptions` when an option is refused.
 *
 * @example
 * ```ts
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { FetchHttpClient } from "effect/http"
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
export const layer = (options: Options): Layer.Layer<HosecloudAuth, AuthError.InvalidOptions, HttpClient.HttpClient> =>
  Layer.effect(HosecloudAuth, make(options))

/**
 * Makes a `HosecloudAuth` layer eager: building it fetches a token, and an `AuthError` fails the layer
 * (a deployment with wrong credentials fails at start-up instead of at its first call).
 *
 * @example
 * ```ts
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { FetchHttpClient } from "effect/http"
 * import { Layer } from "effect"
 *
 * // Layer<HosecloudAuth, InvalidOptions | ConfigError | AuthError>
 * const AuthLive = HosecloudAuth.layerConfig().pipe(HosecloudAuth.eager, Layer.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const eager = <E, R>(
  self: Layer.Layer<HosecloudAuth, E, R>
): Layer.Layer<HosecloudAuth, E | AuthError.AuthError, R> =>
  Layer.tap(self, (context) => Context.get(context, HosecloudAuth).token)

/**
 * `HosecloudAuth` over the v3 endpoint, sharing its token with the other replicas through the
 * `TokenStore` in the context: per refresh, one token request for the whole fleet.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerShared = (
  options: Omit<Options, "store">
): Layer.Layer<HosecloudAuth, AuthError.InvalidOptions, HttpClient.HttpClient | TokenStore.TokenStore> =>
  Layer.effect(HosecloudAuth, Effect.flatMap(TokenStore.TokenStore, (store) => make({ ...options, store })))

/**
 * `HosecloudAuth` over any token protocol.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = <E, R>(
  protocol: Effect.Effect<TokenProtocol.TokenProtocol, E, R>,
  options?: CacheOptions
): Layer.Layer<HosecloudAuth, E | AuthError.InvalidOptions, Exclude<R, Scope.Scope>> =>
  Layer.effect(HosecloudAuth, Effect.flatMap(protocol, (p) => makeWith(p, options)))

/**
 * The credentials and host from configuration: `HOSECLOUD_APP_KEY`, `HOSECLOUD_APP_SECURITY` (redacted)
 * and `HOSECLOUD_AUTH_URL` (the token host; optional, validated).
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<{
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  readonly authUrl: string
}> = Config.all({
  appKey: Config.NonEmptyString("HOSECLOUD_APP_KEY"),
  appSecurity: Config.Redacted("HOSECLOUD_APP_SECURITY"),
  authUrl: urlConfig("HOSECLOUD_AUTH_URL").pipe(Config.withDefault(TokenProtocol.defaultAuthUrl))
})

/**
 * `HosecloudAuth` over the v3 endpoint with the credentials read from `Config` (see `config`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  options?: CacheOptions
): Layer.Layer<HosecloudAuth, Config.ConfigError | AuthError.InvalidOptions, HttpClient.HttpClient> =>
  Layer.effect(HosecloudAuth, Effect.flatMap(config, (credentials) => make({ ...options, ...credentials })))
