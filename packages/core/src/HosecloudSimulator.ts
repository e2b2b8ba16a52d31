/**
 * An in-memory Hosecloud for tests and demos. It is one `HttpApp`, so it serves both as an
 * `HttpClient` layer with no socket (`layer`) and, through a platform's HTTP server, as a real one.
 * Time is the Effect `Clock` of whoever runs it, so under `TestClock` tokens expire when the test says.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import type * as AccessToken from "./AccessToken.js"
import * as MemoryHttp from "./internal/memoryHttp.js"

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
  delay: (duration: Duration.DurationInput): Fault => ({ _tag: "Delay", duration: Duration.decode(duration) }),
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
  readonly tokenLifetime?: Duration.DurationInput | undefined
  /** The life of a token from the v2 refresh-token exchange without `expireDate`. Default 32 days. */
  readonly refreshedLifetime?: Duration.DurationInput | undefined
  /**
   * How far the server's clock is ahead of the local one: a signed number of milliseconds (negative:
   * behind), or a duration ahead. Default 0.
   */
  readonly skew?: number | Duration.DurationInput | undefined
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
  /** The whole simulator as an `HttpApp`, to serve or to call in memory. */
  readonly app: HttpApp.Default
  readonly register: (credentials: Credentials) => Effect.Effect<void>
  readonly setTokenLifetime: (lifetime: Duration.DurationInput) => Effect.Effect<void>
  /** A signed number of milliseconds (negative: the server is behind), or a duration ahead. */
  readonly setSkew: (skew: number | Duration.DurationInput) => Effect.Effect<void>
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
  extends Context.Tag("@effect-hosecloud/core/HosecloudSimulator")<HosecloudSimulator, Simulator>()
{}

interface Registered {
  readonly appKey: string
  readonly appSecurity: string
  readonly scope: AccessToken.Scope
  readonly corpId: string
}

interface State {
  readonly credentials: ReadonlyMap<string, Registered>
  readonly lifetime: number
  readonly skew: number
  readonly location: string
  readonly faults: Readonly<Record<Target, ReadonlyArray<Fault>>>
  readonly random: Readonly<Record<Target, { readonly probability: number; readonly faults: ReadonlyArray<Fault> }>>
  readonly down: Readonly<Record<Target, Fault | undefined>>
  readonly counts: Counts
  readonly serial: number
}

const paths: Record<string, { readonly method: string; readonly endpoint: Endpoint }> = {
  "/auth/openApi/v3/getAccessToken": { method: "POST", endpoint: "v3.getAccessToken" },
  "/api/openapi/v1/auth/getAccessToken": { method: "POST", endpoint: "v1.getAccessToken" },
  "/api/openapi/v2/auth/refreshToken": { method: "POST", endpoint: "v2.refreshToken" },
  "/api/openapi/v2/auth/refreshToken/expireDate": { method: "POST", endpoint: "v2.refreshToken" },
  "/api/openapi/v1/corporations": { method: "GET", endpoint: "v1.corporations" },
  "/api/openapi/v2/location": { method: "GET", endpoint: "v2.location" }
}

const normalize = (c: Credentials): Registered => ({
  appKey: c.appKey,
  appSecurity: c.appSecurity,
  scope: c.scope ?? "tenant",
  corpId: c.corpId ?? `SIMcorp${c.appKey.slice(0, 8)}`
})

/**
 * Builds a simulator.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options = {}): Effect.Effect<Simulator> =>
  Effect.gen(function*() {
    const tenantHeader = (options.tenantHeader ?? "corpId").toLowerCase()
    const dateHeader = (now: number): Record<string, string> =>
      options.sendDate === false ? {} : { date: new Date(now).toUTCString() }
    const state = yield* Ref.make<State>({
      credentials: new Map((options.credentials ?? demoCredentials).map((c) => [c.appKey, normalize(c)])),
      lifetime: Duration.toMillis(options.tokenLifetime ?? "2 hours"),
      skew: signedMillis(options.skew ?? 0),
      location: options.location ?? "https://app.ekuaibao.com/",
      faults: { token: [], business: [] },
      random: { token: { probability: 0, faults: [] }, business: { probability: 0, faults: [] } },
      down: { token: undefined, business: undefined },
      counts: { received: {}, outcomes: {} },
      serial: 0
    })

    const record = (endpoint: Endpoint, outcome?: Outcome) =>
      Ref.update(state, (s) => {
        if (outcome === undefined) {
          return {
            ...s,
            counts: { ...s.counts, received: { ...s.counts.received, [endpoint]: (s.counts.received[endpoint] ?? 0) + 1 } }
          }
        }
        const forEndpoint = s.counts.outcomes[endpoint] ?? {}
        return {
          ...s,
          counts: {
            ...s.counts,
            outcomes: {
              ...s.counts.outcomes,
              [endpoint]: { ...forEndpoint, [outcome]: (forEndpoint[outcome] ?? 0) + 1 }
            }
          }
        }
      })

    const serverNow = Effect.zipWith(Clock.currentTimeMillis, Ref.get(state), (now, s) => now + s.skew)

    const scripted = (target: Target) =>
      Ref.modify(state, (s): [Option.Option<Fault>, State] => {
        const [first, ...rest] = s.faults[target]
        return first === undefined
          ? [Option.none(), s]
          : [Option.some(first), { ...s, faults: { ...s.faults, [target]: rest } }]
      })

    /** The scripted fault first, then an outage, then a random one. */
    const nextFault = (target: Target) =>
      Effect.flatMap(scripted(target), (first) => {
        if (Option.isSome(first)) return Effect.succeed(first)
        return Effect.flatMap(Ref.get(state), (s) => {
          const down = s.down[target]
          if (down !== undefined) return Effect.succeedSome(down)
          const { faults, probability } = s.random[target]
          if (probability <= 0 || faults.length === 0) return Effect.succeedNone
          return Effect.flatMap(Random.next, (roll) =>
            roll >= probability
              ? Effect.succeedNone
              : Effect.map(Random.nextIntBetween(0, faults.length), (i) => Option.some(faults[i])))
        })
      })

    const respond = (body: unknown, status = 200) =>
      Effect.map(serverNow, (now) =>
        HttpServerResponse.unsafeJson(body, {
          status,
          headers: dateHeader(now)
        }))

    const respondText = (body: string, status: number, contentType = "text/html") =>
      Effect.map(serverNow, (now) =>
        HttpServerResponse.text(body, { status, contentType, headers: dateHeader(now) }))

    const traceId = Effect.map(
      Effect.all(Array.from({ length: 4 }, () => Random.nextIntBetween(0, 0x10000 * 0x10000))),
      (parts) => parts.map((n) => n.toString(16).padStart(8, "0")).join("")
    )

    const refreshedLifetime = Duration.toMillis(options.refreshedLifetime ?? "32 days")
    // issued tokens, by access token, and refresh tokens to their access token: mutated in place, since
    // every change is one synchronous step (a copy per issue would make 10,000 tenants quadratic)
    const tokens = new Map<string, Issued>()
    const refreshTokens = new Map<string, string>()
    const traceIdsSent: Array<string> = []

    const issue = (credentials: Registered, lifetime?: number) =>
      Effect.gen(function*() {
        const now = yield* serverNow
        const noise = yield* traceId
        return yield* Ref.modify(state, (s): [Issued, State] => {
          const serial = s.serial + 1
          const expiresTime = now + (lifetime ?? s.lifetime)
          const accessToken = makeJwt({
            loginType: "login",
            loginId: `sim-${credentials.appKey}`,
            rnStr: `${noise}${serial}`,
            corporationId: credentials.corpId,
            userId: `sim-${credentials.appKey}`,
            exp: Math.floor(expiresTime / 1000),
            scope: credentials.scope,
            version: 1,
            shortTermToken: false
          })
          const issued: Issued = {
            accessToken,
            refreshToken: `SIMrefresh${serial}${noise}`,
            corpId: credentials.corpId,
            scope: credentials.scope,
            expiresTime,
            skew: s.skew,
            revoked: false
          }
          tokens.set(accessToken, issued)
          refreshTokens.set(issued.refreshToken, accessToken)
          return [issued, { ...s, serial }]
        })
      })

    /** A fault for a token endpoint, answered in that endpoint's dialect. */
    const tokenFault = (endpoint: Endpoint, fault: Fault, v3: boolean) =>
      Effect.gen(function*() {
        switch (fault._tag) {
          case "InvalidKey":
            yield* record(endpoint, "InvalidKey")
            return v3
              ? yield* respond({ code: "403", msg: "密钥无效", data: "" })
              : yield* respond({ errorCode: 403, errorMessage: "密钥无效" }, 403)
          case "SystemError": {
            yield* record(endpoint, "SystemError")
            const id = fault.traceId ?? (yield* traceId)
            traceIdsSent.push(id)
            return v3
              ? yield* respond({ code: "500", msg: "system error", data: null, traceId: id })
              : yield* respond({ errorCode: 500, errorMessage: "system error", traceId: id }, 500)
          }
          case "HttpStatus":
            yield* record(endpoint, "HttpStatus")
            return yield* respondText(fault.body, fault.status)
          case "Malformed":
            yield* record(endpoint, "Malformed")
            return yield* respondText(fault.body, 200, "application/json")
          case "Delay":
            return yield* Effect.die("unreachable")
        }
      })

    /** Applies the next scripted fault of `target`: a delay holds the request, anything else answers it. */
    const withFaults = <E, R>(
      target: Target,
      onFault: (fault: Fault) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
      normal: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
    ): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> =>
      Effect.flatMap(nextFault(target), (fault) => {
        if (Option.isNone(fault)) return normal
        if (fault.value._tag === "Delay") return Effect.zipRight(Effect.sleep(fault.value.duration), normal)
        return onFault(fault.value)
      })

    const readJson = (request: HttpServerRequest.HttpServerRequest) =>
      Effect.orElseSucceed(Effect.flatMap(request.text, (text) => Effect.try(() => JSON.parse(text) as unknown)), () =>
        undefined)

    const checkCredentials = (body: unknown) =>
      Effect.map(Ref.get(state), (s) => {
        if (typeof body !== "object" || body === null) return { _tag: "Missing" as const }
        const { appKey, appSecurity } = body as { appKey?: unknown; appSecurity?: unknown }
        if (typeof appKey !== "string" || typeof appSecurity !== "string" || appKey === "" || appSecurity === "") {
          return { _tag: "Missing" as const }
        }
        const known = s.credentials.get(appKey)
        return known !== undefined && known.appSecurity === appSecurity
          ? { _tag: "Ok" as const, credentials: known }
          : { _tag: "Invalid" as const }
      })

    const v3Token = (request: HttpServerRequest.HttpServerRequest) =>
      withFaults("token", (f) => tokenFault("v3.getAccessToken", f, true), Effect.gen(function*() {
        const check = yield* Effect.flatMap(readJson(request), checkCredentials)
        switch (check._tag) {
          case "Missing": {
            yield* record("v3.getAccessToken", "SystemError")
            const id = yield* traceId
            traceIdsSent.push(id)
            return yield* respond({ code: "500", msg: "system error", data: null, traceId: id })
          }
          case "Invalid":
            yield* record("v3.getAccessToken", "InvalidKey")
            return yield* respond({ code: "403", msg: "密钥无效", data: "" })
          case "Ok": {
            const issued = yield* issue(check.credentials)
            yield* record("v3.getAccessToken", "success")
            return yield* respond({
              code: "200",
              msg: "操作成功",
              data: {
                corpId: issued.corpId,
                accessToken: issued.accessToken,
                refreshToken: issued.refreshToken,
                expiresTime: issued.expiresTime,
                scope: issued.scope
              }
            })
          }
        }
      }))

    const v1Token = (request: HttpServerRequest.HttpServerRequest) =>
      withFaults("token", (f) => tokenFault("v1.getAccessToken", f, false), Effect.gen(function*() {
        const check = yield* Effect.flatMap(readJson(request), checkCredentials)
        if (check._tag !== "Ok") {
          yield* record("v1.getAccessToken", "InvalidKey")
          return yield* respond({ errorCode: 403, errorMessage: "密钥无效" }, 403)
        }
        const issued = yield* issue(check.credentials)
        yield* record("v1.getAccessToken", "success")
        return yield* respond({ value: legacyValue(issued) })
      }))

    const v2Refresh = (query: URLSearchParams) =>
      withFaults("token", (f) => tokenFault("v2.refreshToken", f, false), Effect.gen(function*() {
        const now = yield* serverNow
        const s = yield* Ref.get(state)
        const current = tokens.get(query.get("accessToken") ?? "")
        const paired = refreshTokens.get(query.get("refreshToken") ?? "")
        if (
          current === undefined || current.revoked || current.expiresTime <= now ||
          paired !== current.accessToken || query.get("powerCode") !== "219904"
        ) {
          yield* record("v2.refreshToken", "Unauthorized")
          return yield* unauthorized
        }
        const credentials = Array.from(s.credentials.values()).find((c) => c.corpId === current.corpId)
        if (credentials === undefined) {
          yield* record("v2.refreshToken", "Unauthorized")
          return yield* unauthorized
        }
        const days = Number(query.get("expireDate") ?? Number.NaN)
        const lifetime = Number.isFinite(days) && days > 0 ? days * 24 * 60 * 60 * 1000 : refreshedLifetime
        // both tokens rotate: the old pair stops working
        yield* revokeToken(current.accessToken)
        const issued = yield* issue(credentials, lifetime)
        yield* record("v2.refreshToken", "success")
        return yield* respond({ value: legacyValue(issued) })
      }))

    const unauthorized = respond({ errorCode: 403, errorMessage: "未授权" }, 403)

    const authorize = (request: HttpServerRequest.HttpServerRequest, query: URLSearchParams) =>
      Effect.gen(function*() {
        const token = query.get("accessToken") ?? request.headers["accesstoken"] ?? ""
        const now = yield* serverNow
        const issued = tokens.get(token)
        if (issued === undefined || issued.revoked || issued.expiresTime <= now) return Option.none<Issued>()
        return Option.some(issued)
      })

    const corporations = (request: HttpServerRequest.HttpServerRequest, query: URLSearchParams) =>
      withFaults("business", (f) => businessFault("v1.corporations", f), Effect.gen(function*() {
        const issued = yield* authorize(request, query)
        if (Option.isNone(issued)) {
          yield* record("v1.corporations", "Unauthorized")
          return yield* unauthorized
        }
        const tenant = request.headers[tenantHeader]
        const corpId = issued.value.scope === "platform" && tenant !== undefined ? tenant : issued.value.corpId
        yield* record("v1.corporations", "success")
        return yield* respond({ value: { id: corpId, name: `Simulated corporation ${corpId}`, scope: issued.value.scope } })
      }))

    const location = (query: URLSearchParams) =>
      withFaults("business", (f) => businessFault("v2.location", f), Effect.gen(function*() {
        yield* record("v2.location", "success")
        const s = yield* Ref.get(state)
        return yield* respond({ value: query.get("corpId") === null ? "" : s.location })
      }))

    const businessFault = (endpoint: Endpoint, fault: Fault) =>
      Effect.gen(function*() {
        switch (fault._tag) {
          case "InvalidKey":
            yield* record(endpoint, "Unauthorized")
            return yield* unauthorized
          case "SystemError":
            yield* record(endpoint, "SystemError")
            return yield* respond({ errorCode: 500, errorMessage: "system error", traceId: fault.traceId ?? "" }, 500)
          case "HttpStatus":
            yield* record(endpoint, "HttpStatus")
            return yield* respondText(fault.body, fault.status)
          default:
            yield* record(endpoint, "Malformed")
            return yield* respondText(fault._tag === "Malformed" ? fault.body : "", 200, "application/json")
        }
      })

    const revokeToken = (accessToken?: string) =>
      Effect.sync(() => {
        for (const [key, issued] of tokens) {
          if (accessToken === undefined || key === accessToken) tokens.set(key, { ...issued, revoked: true })
        }
      })

    const app: HttpApp.Default = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://simulator.invalid")
      const route = paths[url.pathname]
      const endpoint: Endpoint = route === undefined || route.method !== request.method ? "unknown" : route.endpoint
      yield* record(endpoint)
      switch (endpoint) {
        case "v3.getAccessToken":
          return yield* v3Token(request)
        case "v1.getAccessToken":
          return yield* v1Token(request)
        case "v2.refreshToken":
          return yield* v2Refresh(url.searchParams)
        case "v1.corporations":
          return yield* corporations(request, url.searchParams)
        case "v2.location":
          return yield* location(url.searchParams)
        case "unknown":
          return yield* respond({ errorCode: 404, errorMessage: "not found" }, 404)
      }
    })

    return {
      app,
      register: (credentials) =>
        Ref.update(state, (s) => ({
          ...s,
          credentials: new Map(s.credentials).set(credentials.appKey, normalize(credentials))
        })),
      setTokenLifetime: (lifetime) => Ref.update(state, (s) => ({ ...s, lifetime: Duration.toMillis(lifetime) })),
      setSkew: (skew) => Ref.update(state, (s) => ({ ...s, skew: signedMillis(skew) })),
      setLocation: (url) => Ref.update(state, (s) => ({ ...s, location: url })),
      script: (target, ...faults) =>
        Ref.update(state, (s) => ({ ...s, faults: { ...s.faults, [target]: [...s.faults[target], ...faults] } })),
      setRandomFaults: (target, probability, faults) =>
        Ref.update(state, (s) => ({ ...s, random: { ...s.random, [target]: { probability, faults } } })),
      setDown: (target, fault) => Ref.update(state, (s) => ({ ...s, down: { ...s.down, [target]: fault } })),
      traceIdsSent: Effect.sync(() => [...traceIdsSent]),
      revoke: revokeToken,
      counts: Effect.map(Ref.get(state), (s) => s.counts),
      count: (endpoint, outcome) =>
        Effect.map(Ref.get(state), (s) =>
          outcome === undefined
            ? s.counts.received[endpoint] ?? 0
            : s.counts.outcomes[endpoint]?.[outcome] ?? 0),
      issued: Effect.sync(() => Array.from(tokens.values())),
      resetCounts: Ref.update(state, (s) => ({ ...s, counts: { received: {}, outcomes: {} } }))
    } satisfies Simulator
  })

const signedMillis = (input: number | Duration.DurationInput): number =>
  typeof input === "number" ? input : Duration.toMillis(input)

const legacyValue = (issued: Issued) => ({
  accessToken: issued.accessToken,
  refreshToken: issued.refreshToken,
  expireTime: issued.expiresTime,
  corporationId: issued.corpId
})

const base64url = (text: string): string => {
  const bytes = new TextEncoder().encode(text)
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const makeJwt = (claims: Record<string, unknown>): string =>
  `${base64url(JSON.stringify({ typ: "JWT", alg: "RS256" }))}.${base64url(JSON.stringify(claims))}.${
    base64url(`simulated-signature-${String(claims["rnStr"])}`)
  }`

/**
 * Serves an `HttpApp` as an `HttpClient`, in memory: every request, whatever its host, is answered by
 * the app in the caller's fiber, with no socket and no Promise, so `TestClock` and interruption apply
 * to the whole exchange.
 *
 * @since 0.1.0
 * @category constructors
 */
export const clientFor = (app: HttpApp.Default): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    app.pipe(
      Effect.provideService(HttpServerRequest.HttpServerRequest, MemoryHttp.toServerRequest(request, url)),
      Effect.map((response) => MemoryHttp.toClientResponse(request, response)),
      Effect.catchAllDefect((defect) =>
        Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: defect,
            description: "the simulator failed"
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
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<HosecloudSimulator | HttpClient.HttpClient> =>
  Layer.provideMerge(layerClient, layerSimulator(options))
