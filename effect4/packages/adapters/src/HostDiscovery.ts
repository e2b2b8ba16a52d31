/**
 * Finds the business host of a company with `GET /api/openapi/v2/location?corpId=...`, keeps it, and checks
 * it again on a schedule, since Hosecloud can move a company with an upgrade. A `HosecloudClient` built on
 * it follows the company to its new host.
 *
 * @since 0.1.0
 */
import { AuthError, HosecloudAuth, HosecloudClient, TokenProtocol, Validation } from "@effect-hosecloud/core"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Edition from "./Edition.js"
import { check } from "./internal/check.js"

/**
 * The discovered host.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /** The company's business host (no trailing slash); the first call looks it up. Never fails: until a
   * lookup succeeds, the fallback host is used. */
  readonly current: Effect.Effect<string>
  /** Looks the host up now. */
  readonly recheck: Effect.Effect<string>
  /** The host each time it changes (the first value included). */
  readonly changes: Stream.Stream<string>
}

/**
 * The tag of host discovery.
 *
 * @since 0.1.0
 * @category tags
 */
export class HostDiscovery extends Context.Service<HostDiscovery, Service>()("@effect-hosecloud/adapters/HostDiscovery") {}

/**
 * Options of host discovery.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The company; default: the `corpId` of the current token. */
  readonly corpId?: string | undefined
  /** The host asked (any host answers). Default: the standalone edition's. */
  readonly probeUrl?: string | undefined
  /** The host used until a lookup succeeds. Default: `probeUrl`. */
  readonly fallbackUrl?: string | undefined
  /** How often the host is checked again. Default 1 hour. */
  readonly interval?: Duration.Input | undefined
  /**
   * The hosts a location answer may name: exact host names, or `*.domain` for any host under a domain.
   * Default `defaultAllowedHosts` (Hosecloud's own domains, which hold every edition's host); the probe's
   * own host is always allowed. Any other answer is a Warning, and the known host is kept.
   */
  readonly allowedHosts?: ReadonlyArray<string> | undefined
}

/**
 * The hosts a location answer may name unless told otherwise: Hosecloud's own domains.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultAllowedHosts: ReadonlyArray<string> = ["*.ekuaibao.com", "*.hosecloud.com"]

/**
 * Whether `host` matches one of `patterns` (an exact host, or `*.domain` for any host under it).
 *
 * @since 0.2.0
 * @category validation
 */
export const hostAllowed = (patterns: ReadonlyArray<string>, host: string): boolean =>
  patterns.some((pattern) =>
    pattern.startsWith("*.")
      ? host.toLowerCase().endsWith(pattern.slice(1).toLowerCase())
      : host.toLowerCase() === pattern.toLowerCase()
  )

const checkHosts = (hosts: unknown) => {
  if (hosts === undefined) return Effect.succeed(defaultAllowedHosts)
  if (!Array.isArray(hosts)) {
    return Effect.fail(new AuthError.InvalidOptions({ option: "allowedHosts", rule: "must be an array of host names" }))
  }
  return Effect.forEach(hosts, (host: unknown, i) =>
    typeof host === "string" && /^(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(host)
      ? Effect.succeed(host)
      : Effect.fail(
        new AuthError.InvalidOptions({
          option: `allowedHosts[${i}]`,
          rule: "must be a host name, or *.domain",
          received: Validation.describe(host)
        })
      ))
}

const trimSlash = (url: string) => url.replace(/\/+$/, "")

/** A location answer that was not taken. */
class Refused extends Data.TaggedError("Refused")<{ readonly answer: string; readonly reason: string }> {}

/**
 * Host discovery. Lazy: the first `current` looks the host up and starts the re-checks.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  Service,
  AuthError.InvalidOptions,
  HttpClient.HttpClient | HosecloudAuth.HosecloudAuth | Scope.Scope
> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const auth = yield* HosecloudAuth.HosecloudAuth
    const probe = trimSlash(yield* check(Validation.url("probeUrl", options.probeUrl, Edition.hosts.standalone)))
    const fallback = trimSlash(yield* check(Validation.url("fallbackUrl", options.fallbackUrl, probe)))
    const interval = yield* check(Validation.duration("interval", options.interval, "1 hour"))
    const allowedHosts = [...(yield* checkHosts(options.allowedHosts)), new URL(probe).host]
    if (options.corpId !== undefined) yield* check(Validation.nonEmptyString("corpId", options.corpId))
    const host = yield* SubscriptionRef.make(Option.none<string>())

    const corpId = options.corpId === undefined
      ? Effect.map(auth.token, (token) => token.corpId)
      : Effect.succeed(options.corpId)

    const lookup = Effect.gen(function*() {
      const corp = yield* corpId
      const response = yield* http.execute(
        HttpClientRequest.get(TokenProtocol.joinUrl(probe, "/api/openapi/v2/location")).pipe(
          HttpClientRequest.setUrlParam("corpId", corp),
          HttpClientRequest.acceptJson
        )
      )
      const url = trimSlash(yield* HosecloudClient.schemaValue(Schema.String)(response))
      return yield* Result.match(Validation.checkUrl(url), {
        onFailure: (reason) => Effect.fail(new Refused({ answer: Validation.displayUrl(url), reason })),
        onSuccess: (url) => {
          const host = new URL(url).host
          return hostAllowed(allowedHosts, host)
            ? Effect.succeed(url)
            : Effect.fail(new Refused({ answer: Validation.displayUrl(url), reason: `${host} is not one of allowedHosts` }))
        }
      })
    })

    const recheck: Effect.Effect<string> = lookup.pipe(
      Effect.tap((url) =>
        SubscriptionRef.modify(host, (previous) => [previous, Option.some(url)]).pipe(
          Effect.flatMap((previous) =>
            Option.getOrUndefined(previous) === url
              ? Effect.void
              : Effect.logInfo("Hosecloud business host").pipe(Effect.annotateLogs({ host: Validation.displayUrl(url) }))
          )
        )
      ),
      Effect.catchCause((cause) =>
        Effect.flatMap(SubscriptionRef.get(host), (known) => {
          const kept = Option.getOrElse(known, () => fallback)
          const failure = Cause.findErrorOption(cause)
          const detail = Option.isSome(failure) && failure.value instanceof Refused
            ? `the answer ${failure.value.answer} was refused: ${failure.value.reason}`
            : Cause.pretty(cause)
          return Effect.as(
            Effect.logWarning("Hosecloud host lookup failed; keeping the known host").pipe(
              Effect.annotateLogs({ kept, detail })
            ),
            kept
          )
        })
      ),
      Effect.withSpan("HostDiscovery.lookup")
    )

    // the first lookup also starts the re-checks, in this layer's scope
    const scope = yield* Effect.scope
    const first = yield* Effect.cached(
      Effect.tap(
        recheck,
        Effect.forkIn(Effect.schedule(recheck, Schedule.spaced(interval)), scope)
      )
    )

    const current = Effect.flatMap(SubscriptionRef.get(host), Option.match({
      onNone: () => first,
      onSome: Effect.succeed
    }))

    const changes = SubscriptionRef.changes(host).pipe(
      Stream.filterMap((known) => Result.fromOption(known, () => undefined)),
      Stream.changes
    )

    return { current, recheck, changes }
  })

/**
 * Host discovery in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options?: Options
): Layer.Layer<HostDiscovery, AuthError.InvalidOptions, HttpClient.HttpClient | HosecloudAuth.HosecloudAuth> =>
  Layer.effect(HostDiscovery, make(options))

/**
 * A `HosecloudClient` whose host is the discovered one, followed as it changes.
 *
 * @example
 * ```ts
 * import { HostDiscovery } from "@effect-hosecloud/adapters"
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { FetchHttpClient } from "effect/http"
 * import { Layer } from "effect"
 *
 * // HosecloudClient on the company's host, looked up with the token's corpId and checked again every hour
 * export const ClientLive = HostDiscovery.layerClient({ interval: "1 hour" }).pipe(
 *   Layer.provideMerge(HosecloudAuth.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options?: Options & Omit<HosecloudClient.Options, "apiUrl">
): Layer.Layer<
  HosecloudClient.HosecloudClient | HostDiscovery,
  AuthError.InvalidOptions,
  HttpClient.HttpClient | HosecloudAuth.HosecloudAuth
> =>
  Layer.effect(
    HosecloudClient.HosecloudClient,
    Effect.flatMap(HostDiscovery, (discovery) => HosecloudClient.make({ ...options, apiUrl: discovery.current }))
  ).pipe(Layer.provideMerge(layer(options)))
