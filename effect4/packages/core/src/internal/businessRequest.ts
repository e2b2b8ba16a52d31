/**
 * One business request through `HosecloudClient`: where it may go, the token attached on the wire only,
 * and what a 403 means.
 *
 * - The token goes only to the business host or an origin the user allowed, over `https:` (plain `http:`
 *   on loopback), and never by a redirect: anything else is a `ForeignOrigin` before a byte is sent.
 * - A 403 whose message contains `未授权` (or that says nothing readable) is a refused token: the token is dropped (if it is
 *   still the current one, and not too soon after the last one dropped), and the request is sent once more
 *   with a fresh token, if its body can be sent again. Any other 403 is a missing permission: an
 *   `ApiError` with reason `Forbidden`, and the token is kept.
 *
 * @internal
 */
import type * as HttpBody from "effect/http/HttpBody"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Effect from "effect/Effect"
import type * as Context from "effect/Context"
import { constTrue } from "effect/Function"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AccessToken from "../AccessToken.js"
import * as ApiError from "../ApiError.js"
import type * as AuthError from "../AuthError.js"
import type * as HosecloudAuth from "../HosecloudAuth.js"
import * as Response from "./businessResponse.js"
import type * as BusinessWire from "./businessWire.js"
import * as ClientSpan from "./clientSpan.js"
import * as Destination from "./destination.js"
import * as Validation from "../Validation.js"
import * as Http from "./http.js"
import * as Secrets from "./secrets.js"

/** @internal */
export interface Settings {
  readonly auth: HosecloudAuth.Service
  readonly wire: BusinessWire.Wire
  readonly tokenIn: "query" | "header"
  readonly tokenName: string
  readonly tenantHeader: string
  readonly currentTenant: Context.Reference<Option.Option<string>>
  /** The business host, without a trailing slash: fixed, or read for every request. */
  readonly apiUrl: string | Effect.Effect<string>
  /** Origins the token may go to besides the business host's. */
  readonly allowedOrigins: ReadonlySet<string>
}

/** @internal */
export type RequestError =
  | HttpClientError.HttpClientError
  | AuthError.AuthError
  | ApiError.Unauthorized
  | ApiError.ApiError
  | ApiError.ForeignOrigin

const foreign = (request: HttpClientRequest.HttpClientRequest, origin: string, via: "url" | "redirect") =>
  new ApiError.ForeignOrigin({ method: request.method, url: Validation.displayUrl(request.url), origin, via })

/** The business host in front, the token's place marked, the tenant named; refused if it leaves Hosecloud. @internal */
export const prepare = (settings: Settings) => {
  // the host rarely changes: its origin is parsed again only when it does
  let lastBase = ""
  let lastOrigin: string | undefined
  const originOf = (base: string) => {
    if (base !== lastBase) {
      lastBase = base
      lastOrigin = Option.getOrUndefined(
        Option.map(Option.filter(Destination.parse(base), Destination.isSafeScheme), (u) => u.origin)
      )
    }
    return lastOrigin
  }
  const finish = (
    request: HttpClientRequest.HttpClientRequest,
    tenant: Option.Option<string>,
    base: string
  ): Effect.Effect<HttpClientRequest.HttpClientRequest, ApiError.ForeignOrigin> => {
    const baseOrigin = originOf(base)
    let prepared: HttpClientRequest.HttpClientRequest
    if (sameOrigin(request.url) && baseOrigin !== undefined) {
      // a path after the host cannot change the origin: nothing to parse
      prepared = after(request, base)
    } else {
      prepared = isAbsolute(request.url) ? request : after(request, base)
      const url = Destination.parse(prepared.url)
      const origin = Option.match(url, { onNone: () => prepared.url, onSome: (u) => u.origin })
      const allowed = Option.isSome(url) && Destination.isSafeScheme(url.value) &&
        ((baseOrigin !== undefined && origin === baseOrigin) || settings.allowedOrigins.has(origin))
      if (!allowed) return Effect.fail(foreign(prepared, origin, "url"))
    }
    if (settings.tokenIn === "query") {
      prepared = HttpClientRequest.setUrlParam(prepared, settings.tokenName, Secrets.marker)
    }
    if (Option.isSome(tenant)) prepared = HttpClientRequest.setHeader(prepared, settings.tenantHeader, tenant.value)
    return Effect.succeed(prepared)
  }
  const { apiUrl, currentTenant } = settings
  return typeof apiUrl === "string"
    ? (request: HttpClientRequest.HttpClientRequest) =>
      Effect.withFiber<HttpClientRequest.HttpClientRequest, ApiError.ForeignOrigin>((fiber) =>
        finish(request, fiber.getRef(currentTenant), apiUrl)
      )
    : (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(
        Effect.zip(Effect.service(currentTenant), apiUrl),
        ([tenant, base]) => finish(request, tenant, base)
      )
}

/**
 * The request's URL put right after the business host, as written: `HttpClientRequest.prependUrl` would add a
 * `/` between them (Effect 4), and a URL that could end the host name must be seen as the caller wrote it.
 */
const after = (request: HttpClientRequest.HttpClientRequest, base: string) =>
  HttpClientRequest.setUrl(request, base + request.url)

/** A URL that names its scheme: it does not go after the business host. */
const isAbsolute = (url: string) => /^[a-z][a-z0-9+.-]*:/i.test(url)

/**
 * A URL that, put after the business host (which has no path, query or fragment), stays on its origin:
 * empty, or starting with `/`, `?` or `#`. Anything else (`evil.example/x`, `@evil.example`) could end
 * the host name and is parsed and checked.
 */
const sameOrigin = (url: string) => url === "" || url[0] === "/" || url[0] === "?" || url[0] === "#"

/** A redirect answer is handed back, never followed; one to a foreign origin is refused outright (the error answered). */
const guardRedirect = (
  settings: Settings,
  sent: HttpClientRequest.HttpClientRequest,
  response: HttpClientResponse.HttpClientResponse
): ApiError.ForeignOrigin | undefined => {
  // the common case costs two comparisons: an answer to the request sent, and no redirect
  const followed = response.request.url !== sent.url
  if (!followed && !Destination.isRedirect(response.status)) return undefined
  const sentOrigin = Option.match(Destination.parse(sent.url), { onNone: () => "", onSome: (u) => u.origin })
  const ok = (origin: string) => origin === sentOrigin || settings.allowedOrigins.has(origin)
  // an HttpClient that followed a redirect by itself answers for another URL
  const answered = Destination.parse(response.request.url)
  if (followed && Option.isSome(answered) && !ok(answered.value.origin)) {
    return foreign(sent, answered.value.origin, "redirect")
  }
  const location = response.headers["location"]
  if (Destination.isRedirect(response.status) && location !== undefined) {
    const target = Destination.parse(location, sent.url)
    const origin = Option.match(target, { onNone: () => location, onSome: (u) => u.origin })
    if (Option.isNone(target) || !Destination.isSafeScheme(target.value) || !ok(origin)) {
      return foreign(sent, origin, "redirect")
    }
  }
  return undefined
}

const attach = (settings: Settings, request: HttpClientRequest.HttpClientRequest, token: string) =>
  settings.tokenIn === "query"
    ? HttpClientRequest.setUrlParam(request, settings.tokenName, token)
    : HttpClientRequest.setHeader(request, settings.tokenName, token)

/**
 * Sends `request` with `token`. The span and any error describe `request` (the token's place marked);
 * only the wire request carries the token, sent with the platform's own span switched off.
 */
const send = (settings: Settings, request: HttpClientRequest.HttpClientRequest, token: AccessToken.AccessToken) =>
  ClientSpan.traced(request, (traced, span) => {
    const value = Redacted.value(token.accessToken)
    const wire = attach(settings, traced, value)
    return Effect.matchEffect(settings.wire.send(wire, span), {
      onFailure: (error) => Effect.fail(Response.rebase(error, request, Secrets.ofToken(token))),
      onSuccess: (response) => {
        const refused = guardRedirect(settings, wire, response)
        if (refused === undefined) return Effect.succeed(Response.withRequest(response, request, Secrets.ofToken(token)))
        // a redirect's Location is the server's text: it can carry the token in any form
        return Effect.fail(
          new ApiError.ForeignOrigin({ ...refused, origin: Secrets.scrub(refused.origin, Secrets.ofToken(token)) })
        )
      }
    })
  })

/** Whether a body can be sent a second time: anything held in memory, not a stream. @internal */
export const replayable = (body: HttpBody.HttpBody): boolean => {
  switch (body._tag) {
    case "Empty":
    case "Uint8Array":
    case "FormData":
      return true
    case "Stream":
      return false
    case "Raw":
      return typeof body.body === "string" || body.body instanceof Uint8Array || body.body instanceof ArrayBuffer ||
        body.body instanceof URLSearchParams || (typeof Blob !== "undefined" && body.body instanceof Blob)
  }
}

/** Hosecloud's answer to a refused or expired token. */
const refusedTokenMessage = "未授权"

/**
 * A 403 refuses the token when its message contains `未授权` (alone or in a longer text), or when it says
 * nothing a person can read; any other message is a missing permission.
 */
const refusesToken = (described: Response.Described) =>
  Option.match(described.message, { onNone: constTrue, onSome: (message) => message.includes(refusedTokenMessage) })

const unauthorized = (request: HttpClientRequest.HttpClientRequest, status: number, text: string) =>
  new ApiError.Unauthorized({ status, text, method: request.method, url: Http.safeUrl(request.url) })

/** After a 403: a permission error, or a refused token replaced once. */
const afterRefusal = (
  settings: Settings,
  request: HttpClientRequest.HttpClientRequest,
  token: AccessToken.AccessToken,
  response: HttpClientResponse.HttpClientResponse
) =>
  Effect.gen(function*() {
    const described = yield* Response.describe(response)
    if (!refusesToken(described)) return yield* Effect.fail(Response.apiError(response, "Forbidden", described))
    yield* settings.auth.invalidate(token)
    if (!replayable(request.body)) {
      return yield* Effect.fail(
        unauthorized(request, response.status, `${described.text}; the request's body is a stream, which cannot be sent again`)
      )
    }
    const fresh = yield* settings.auth.token
    if (AccessToken.sameToken(fresh, token)) {
      return yield* Effect.fail(
        unauthorized(request, response.status, `${described.text}; a token was replaced moments ago, so this one is kept`)
      )
    }
    const again = yield* send(settings, request, fresh)
    if (again.status !== 403) return again
    const second = yield* Response.describe(again)
    if (!refusesToken(second)) return yield* Effect.fail(Response.apiError(again, "Forbidden", second))
    return yield* Effect.fail(unauthorized(request, again.status, second.text))
  })

/** Sends a prepared request with the current token, recovering once from a refused token. @internal */
export const execute = (settings: Settings) =>
(
  prepared: Effect.Effect<HttpClientRequest.HttpClientRequest, ApiError.ForeignOrigin>
): Effect.Effect<HttpClientResponse.HttpClientResponse, RequestError> =>
  Effect.flatMap(prepared, (request) =>
    Effect.flatMap(settings.auth.token, (token) =>
      Effect.flatMap(send(settings, request, token), (response) =>
        response.status !== 403 ? Effect.succeed(response) : afterRefusal(settings, request, token, response))))
