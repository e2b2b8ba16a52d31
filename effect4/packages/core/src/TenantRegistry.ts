/**
 * Many companies in one process: a platform-level integrator holds credentials for each of them. The
 * registry gives every set of credentials its own `HosecloudAuth`, built on first use and released after
 * it has been idle for a while, so idle tenants hold no token and run no refresh. A tenant waiting for its
 * refresh, its token's expiry or its release holds no fiber: each is a deadline among the registry's, one
 * fiber asleep until the earliest (about 7 KiB of heap per tenant holding a token, see `DIFFERENCES.md`).
 *
 * @since 0.1.0
 */
import type * as HttpClient from "effect/http/HttpClient"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "./AccessToken.js"
import * as AuthError from "./AuthError.js"
import * as AuthOptions from "./internal/authOptions.js"
import { Deadlines } from "./internal/engine/deadlines.js"
import * as FlightPermits from "./internal/engine/flightPermits.js"
import * as Tenants from "./internal/tenants.js"
import * as TokenEngine from "./internal/tokenEngine.js"
import * as Validation from "./Validation.js"
import type * as HosecloudAuth from "./HosecloudAuth.js"
import * as TokenProtocol from "./TokenProtocol.js"

/**
 * The credentials of one tenant.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  /** Default `https://open.hosecloud.com`. */
  readonly authUrl?: string | undefined
}

/**
 * The registry.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * The tenant's `HosecloudAuth`, held for the scope (and the idle time after it). Credentials that are
   * refused by their form (an empty `appKey`, a plain-string secret, a bad `authUrl`) are an
   * `InvalidOptions`, and never take a place in the registry.
   */
  readonly get: (
    credentials: Credentials
  ) => Effect.Effect<HosecloudAuth.Service, AuthError.InvalidOptions, Scope.Scope>
  /** A valid token of the tenant. */
  readonly token: (
    credentials: Credentials
  ) => Effect.Effect<AccessToken.AccessToken, AuthError.AuthError | AuthError.InvalidOptions>
  /** Runs `f` with the tenant's `HosecloudAuth`. */
  readonly use: <A, E, R>(
    credentials: Credentials,
    f: (auth: HosecloudAuth.Service) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | AuthError.InvalidOptions, Exclude<R, Scope.Scope>>
  /** How many tenants are held now (in use or idle but not yet released). */
  readonly size: Effect.Effect<number>
}

/**
 * The tag of the registry.
 *
 * @since 0.1.0
 * @category tags
 */
export class TenantRegistry extends Context.Service<TenantRegistry, Service>()("@effect-hosecloud/core/TenantRegistry") {}

/**
 * Options of the registry: how long an unused tenant is kept, how many fetch a token at once, and the
 * cache options of every tenant.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends HosecloudAuth.CacheOptions {
  /** How long a tenant nobody uses is kept before it is released. Default 5 minutes. */
  readonly idleTimeToLive?: Duration.Input | undefined
  /**
   * How many tenants may fetch a token at once (a whole number from 1 to 10,000). The others wait their
   * turn, and do not fail for waiting: a tenant's `waitTimeout` counts from the moment its own fetch
   * starts. Default 64.
   *
   * @since 0.3.0
   */
  readonly concurrency?: number | undefined
}

/**
 * How many tenants fetch a token at once unless `concurrency` says otherwise.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultConcurrency = 64

interface Key {
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  readonly authUrl: string
}

/**
 * A registry, scoped: closing the scope releases every tenant. The cache options are checked once, here;
 * each tenant's credentials when it is first asked for. `sharing` is refused (an `InvalidOptions`): one
 * store key for every tenant would hand one tenant's token to all the others.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, AuthError.InvalidOptions, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const { concurrency, idleTimeToLive, ...cacheOptions } = options
    const ttl = yield* Effect.fromResult(Validation.duration("idleTimeToLive", idleTimeToLive, "5 minutes"))
    const permits = yield* Effect.fromResult(
      Validation.integer("concurrency", concurrency ?? defaultConcurrency, 1, 10_000)
    )
    // checked once: every tenant shares the settings (and the schedules made from them)
    const { settings, sharing } = yield* Effect.fromResult(AuthOptions.checkCacheOptions(cacheOptions))
    if (sharing !== undefined) {
      // one store key for every tenant would hand one tenant's token to all the others
      return yield* new AuthError.InvalidOptions({
        option: "sharing",
        rule: "cannot be given to a TenantRegistry: its tenants have tokens of their own"
      })
    }
    // one bound for all the tenants' token requests
    const flightPermits = yield* FlightPermits.make(permits)
    // every tenant is built, and its fibers run, in the registry's own context (its client, its permits, its
    // logger and tracer), one context shared by all, whoever asks first; every tenant's wake-up is a deadline
    // among the registry's, with one fiber asleep until the earliest (as is every idle tenant's release)
    const context = Context.add(yield* Effect.context<HttpClient.HttpClient | Scope.Scope>(), FlightPermits.FlightPermits, flightPermits)
    const deadlines = new Deadlines(Effect.runForkWith(context))
    // added first, run last: once every tenant is closed
    yield* Effect.addFinalizer(() => Effect.sync(() => deadlines.close()))
    const tenants = yield* Tenants.make({
      // the credentials were checked by `keyOf`, the options above: the protocol and the engine, no more
      lookup: (key: Key, scope) =>
        Effect.flatMap(TokenProtocol.v3(key), (protocol) => TokenEngine.makeIn(protocol, settings, undefined, scope, deadlines)),
      idleTimeToLive: ttl,
      deadlines
    }).pipe(Effect.provideContext(context))
    // on close, before the tenants are released: a tenant still waiting for a permit gives up, instead of
    // being handed the permit of a tenant closed before it and sending a request nobody will read
    yield* Effect.addFinalizer(() => flightPermits.shutdown)
    const keyOf = (credentials: Credentials) =>
      Effect.map(
        Effect.all([
          Effect.fromResult(AuthOptions.checkCredentials(credentials)),
          Effect.fromResult(Validation.url("authUrl", credentials.authUrl, TokenProtocol.defaultAuthUrl))
        ]),
        ([checked, authUrl]): Key => ({ ...checked, authUrl })
      )
    const get = (credentials: Credentials) => Effect.flatMap(keyOf(credentials), (key) => tenants.get(key))
    const use = <A, E, R>(credentials: Credentials, f: (auth: HosecloudAuth.Service) => Effect.Effect<A, E, R>) =>
      Effect.scoped(Effect.flatMap(get(credentials), f))
    return {
      get,
      use,
      token: (credentials) => use(credentials, (auth) => auth.token),
      size: tenants.size
    }
  })

/**
 * The registry in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<TenantRegistry, AuthError.InvalidOptions, HttpClient.HttpClient> =>
  Layer.effect(TenantRegistry, make(options))
