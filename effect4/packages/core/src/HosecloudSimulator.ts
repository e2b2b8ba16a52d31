/**
 * An in-memory Hosecloud for tests and demos. It is one HTTP app (an `Effect` answering the
 * `HttpServerRequest` in context, what `HttpServer.serve` takes), so it serves both as an
 * `HttpClient` layer with no socket (`layer`) and, through a platform's HTTP server, as a real one.
 * Time is the Effect `Clock` of whoever runs it, so under `TestClock` tokens expire when the test says.
 *
 * @since 0.1.0
 */
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import type * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as AccessToken from "./AccessToken.js"
import * as MemoryHttp from "./internal/memoryHttp.js"
import * as Business from "./internal/simulator/business.js"
import * as Control from "./internal/simulator/control.js"
import * as Legacy from "./internal/simulator/legacy.js"
import * as SimState from "./internal/simulator/state.js"
import * as V3 from "./internal/simulator/v3.js"

/**
 * Credentials the simulator accepts.
 *
 * @since 0.1.0
 * @category models
 */
export interface Credentials {
  readonly appKey: string
  readonly appSecurity: string
  /** Default `"tenant"`. */
  readonly scope?: AccessToken.Scope | undefined
  /** Default `"SIMcorp" + the first 8 characters of appKey`. */
  readonly corpId?: string | undefined
}

/**
 * The endpoints the simulator serves.
 *
 * @since 0.1.0
 * @category models
 */
export type Endpoint =
  | "v3.getAccessToken"
  | "v1.getAccessToken"
  | "v2.refreshToken"
  | "v1.corporations"
  | "v2.location"
  | "unknown"

/**
 * How a request ended.
 *
 * @since 0.1.0
 * @category models
 */
export type Outcome = "success" | "InvalidKey" | "SystemError" | "HttpStatus" | "Malformed" | "Unauthorized"

/**
 * A scripted fault, applied to the next request of its target.
 *
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | { readonly _tag: "InvalidKey" }
  | { readonly _tag: "SystemError"; readonly traceId: string | undefined }
  | { readonly _tag: "HttpStatus"; readonly status: number; readonly body: string }
  | { readonly _tag: "Delay"; readonly duration: Duration.Duration }
  | { readonly _tag: "Malformed"; readonly body: string }

/**
 * Constructors of scripted faults.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Fault = {
  /** The credentials are refused (v3: code 403; v1: HTTP 403). */
  invalidKey: (): Fault => ({ _tag: "InvalidKey" }),
  /** A v3 `code: "500"` answer with this traceId (a random one by default). */
  systemError: (traceId?: string): Fault => ({ _tag: "SystemError", traceId }),
  /** An HTTP error from a proxy, 502 by default. */
  httpStatus: (status = 502, body = "<html><body>Bad Gateway</body></html>"): Fault => ({
    _tag: "HttpStatus",
    status,
    body
  }),
  /** Holds the request this long, then answers normally (a client time-out, when longer than it). */
  delay: (duration: Duration.Input): Fault => ({ _tag: "Delay", duration: Duration.fromInputUnsafe(duration) }),
  /** An HTTP 200 whose body is this text. */
  malformed: (body = "{\"code\":\"200\",\"data\":{\"corpId\":1}"): Fault => ({ _tag: "Malformed", body })
} as const

/**
 * What a fault applies to: the token endpoints (v3, v1, v2 refresh) or the business endpoints.
 *
 * @since 0.1.0
 * @category models
 */
export type Target = "token" | "business"

/**
 * A token the simulator issued.
 *
 * @since 0.1.0
 * @category models
 */
export interface Issued {
  readonly accessToken: string
  readonly refreshToken: string
  readonly corpId: string
  readonly scope: AccessToken.Scope
  /** In the simulator's (server's) clock. */
  readonly expiresTime: number
  /** The server's clock skew when it issued the token: its expiry in local time is `expiresTime - skew`. */
  readonly skew: number
  readonly revoked: boolean
}

/**
 * Requests received and their outcomes, by endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface Counts {
  readonly received: Readonly<Partial<Record<Endpoint, number>>>
  readonly outcomes: Readonly<Partial<Record<Endpoint, Readonly<Partial<Record<Outcome, number>>>>>>
}

/**
 * Options of a simulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default: `demoCredentials`. */
  readonly credentials?: ReadonlyArray<Credentials> | undefined
  /** Default 2 hours. */
  readonly tokenLifetime?: Duration.Input | undefined
  /** The life of a token from the v2 refresh-token exchange without `expireDate`. Default 32 days. */
  readonly refreshedLifetime?: Duration.Input | undefined
  /**
   * How far the server's clock is ahead of the local one: a signed number of milliseconds (negative:
   * behind), or a duration ahead. Default 0.
   */
  readonly skew?: number | Duration.Input | undefined
  /** The answer of `/api/openapi/v2/location`. Default `https://app.ekuaibao.com/`. */
  readonly location?: string | undefined
  /** The header that names a sub-tenant for platform tokens. Default `corpId`. */
  readonly tenantHeader?: string | undefined
  /** Whether answers carry a `Date` header (the server's clock). Default `true`. */
  readonly sendDate?: boolean | undefined
}

/**
 * Credentials every simulator accepts unless told otherwise.
 *
 * @since 0.1.0
 * @category constants
 */
export const demoCredentials: ReadonlyArray<Credentials> = [
  { appKey: "demo-app-key", appSecurity: "demo-app-security", scope: "tenant", corpId: "DEMOcorp00001" },
  { appKey: "demo-platform-key", appSecurity: "demo-platform-security", scope: "platform", corpId: "DEMOplatform1" }
]

/**
 * The simulator: its HTTP app and the controls of a test.
 *
 * @since 0.1.0
 * @category models
 */
export interface Simulator {
  /** The whole simulator as one HTTP app (`HttpServer.serve` takes it), to serve or to call in memory. */
  readonly app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
  readonly register: (credentials: Credentials) => Effect.Effect<void>
  readonly setTokenLifetime: (lifetime: Duration.Input) => Effect.Effect<void>
  /** A signed number of milliseconds (negative: the server is behind), or a duration ahead. */
  readonly setSkew: (skew: number | Duration.Input) => Effect.Effect<void>
  readonly setLocation: (url: string) => Effect.Effect<void>
  /** Queues faults for the next requests to `target`, one request each, in order. */
  readonly script: (target: Target, ...faults: ReadonlyArray<Fault>) => Effect.Effect<void>
  /**
   * Faults each request to `target` with `probability`, choosing among `faults` at random (after the
   * scripted ones). A probability of 0 turns it off.
   */
  readonly setRandomFaults: (target: Target, probability: number, faults: ReadonlyArray<Fault>) => Effect.Effect<void>
  /** Answers every request to `target` with `fault` until it is set back to `undefined` (an outage). */
  readonly setDown: (target: Target, fault: Fault | undefined) => Effect.Effect<void>
  /** Every traceId the simulator has sent with a system error, in order. */
  readonly traceIdsSent: Effect.Effect<ReadonlyArray<string>>
  /** Revokes one token (by its access token string), or every token when none is given. */
  readonly revoke: (accessToken?: string) => Effect.Effect<void>
  readonly counts: Effect.Effect<Counts>
  /** Requests received by an endpoint, or with a given outcome. */
  readonly count: (endpoint: Endpoint, outcome?: Outcome) => Effect.Effect<number>
  readonly issued: Effect.Effect<ReadonlyArray<Issued>>
  readonly resetCounts: Effect.Effect<void>
}

/**
 * The tag of a simulator in a test's context.
 *
 * @since 0.1.0
 * @category tags
 */
export class HosecloudSimulator
  extends Context.Service<HosecloudSimulator, Simulator>()("@effect-hosecloud/core/HosecloudSimulator")
{}

const initialState = (options: Options): SimState.State => ({
  credentials: HashMap.fromIterable((options.credentials ?? demoCredentials).map((c) => [c.appKey, SimState.normalize(c)])),
  lifetime: Duration.toMillis(options.tokenLifetime ?? "2 hours"),
  skew: Control.signedMillis(options.skew ?? 0),
  location: options.location ?? "https://app.ekuaibao.com/",
  faults: { token: [], business: [] },
  random: { token: { probability: 0, faults: [] }, business: { probability: 0, faults: [] } },
  down: { token: undefined, business: undefined },
  counts: { received: {}, outcomes: {} },
  serial: 0,
  tokens: HashMap.empty(),
  issueOrder: Chunk.empty(),
  refreshTokens: HashMap.empty(),
  traceIdsSent: Chunk.empty()
})

/** Counts the request as received by `endpoint`, then answers it. */
const route = <E, R>(
  sim: SimState.Sim,
  endpoint: Endpoint,
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
) => Effect.andThen(SimState.record(sim, endpoint), handler)

/** Every endpoint the simulator serves; anything else is a 404, counted as `unknown`. */
const router = (
  sim: SimState.Sim
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> => {
  const handlers = {
    "POST /auth/openApi/v3/getAccessToken": route(sim, "v3.getAccessToken", V3.getAccessToken(sim)),
    "POST /api/openapi/v1/auth/getAccessToken": route(sim, "v1.getAccessToken", Legacy.v1GetAccessToken(sim)),
    "POST /api/openapi/v2/auth/refreshToken": route(sim, "v2.refreshToken", Legacy.v2RefreshToken(sim)),
    "POST /api/openapi/v2/auth/refreshToken/expireDate": route(sim, "v2.refreshToken", Legacy.v2RefreshToken(sim)),
    "GET /api/openapi/v1/corporations": route(sim, "v1.corporations", Business.corporations(sim)),
    "GET /api/openapi/v2/location": route(sim, "v2.location", Business.location(sim))
  } as const
  const notFound = route(sim, "unknown", SimState.respond(sim, { errorCode: 404, errorMessage: "not found" }, 404))
  return Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const url = Option.getOrUndefined(HttpServerRequest.toURL(request))
    if (url === undefined) return notFound
    const handler = (handlers as Record<string, (typeof handlers)[keyof typeof handlers]>)[`${request.method} ${url.pathname}`]
    return handler === undefined ? notFound : Effect.provideService(
      handler,
      HttpServerRequest.ParsedSearchParams,
      HttpServerRequest.searchParamsFromURL(url)
    )
  })
}

/**
 * Builds a simulator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Simulator> =>
  Effect.map(Ref.make(initialState(options)), (state) => {
    const sim: SimState.Sim = {
      state,
      settings: {
        tenantHeader: (options.tenantHeader ?? "corpId").toLowerCase(),
        sendDate: options.sendDate !== false,
        refreshedLifetime: Duration.toMillis(options.refreshedLifetime ?? "32 days")
      }
    }
    return { app: router(sim), ...Control.controls(sim) }
  })

/**
 * Serves an `HttpApp` as an `HttpClient`, in memory: every request, whatever its host, is answered by
 * the app in the caller's fiber, with no socket and no Promise, so `TestClock` and interruption apply
 * to the whole exchange.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientFor = (
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>
): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    app.pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, MemoryHttp.toServerRequest(request, url)),
      Effect.map((response) => MemoryHttp.toClientResponse(request, response)),
      Effect.catchDefect((defect) =>
        Effect.fail(
          new HttpClientError.HttpClientError({
            reason: new HttpClientError.TransportError({
              request,
              cause: defect,
              description: "the simulator failed"
            })
          })
        )
      )
    )
  )

/**
 * A simulator in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSimulator = (options?: Options): Layer.Layer<HosecloudSimulator> =>
  Layer.effect(HosecloudSimulator, make(options))

/**
 * An in-memory `HttpClient` answered by the simulator in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient: Layer.Layer<HttpClient.HttpClient, never, HosecloudSimulator> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HosecloudSimulator, (simulator) => clientFor(simulator.app))
)

/**
 * A simulator and an in-memory `HttpClient` that talks to it: all a test needs below `HosecloudAuth`.
 *
 * @example
 * ```ts
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * // HosecloudAuth on the simulator: no socket, and TestClock drives its clock in tests
 * const AuthLive = HosecloudAuth.layer({ appKey: "demo-app-key", appSecurity: Redacted.make("demo-app-security") }).pipe(
 *   Layer.provideMerge(HosecloudSimulator.layer())
 * )
 *
 * export const oneRequest = Effect.gen(function*() {
 *   const auth = yield* HosecloudAuth.HosecloudAuth
 *   const sim = yield* HosecloudSimulator.HosecloudSimulator
 *   yield* auth.token
 *   yield* auth.token // cached
 *   return yield* sim.count("v3.getAccessToken") // 1
 * }).pipe(Effect.provide(AuthLive))
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<HosecloudSimulator | HttpClient.HttpClient> =>
  Layer.provideMerge(layerClient, layerSimulator(options))
