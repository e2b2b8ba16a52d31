/**
 * The wire side of authentication, kept apart from the cache: "issue a token" and, optionally,
 * "refresh a token". `HosecloudAuth` drives any protocol with the same single flight, retries and
 * refresh schedule; the v3 endpoint is the default one, and other endpoints plug in here.
 *
 * @since 0.1.0
 */
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as SchemaIssue from "effect/SchemaIssue"
import type * as AccessToken from "./AccessToken.js"
import { V3Envelope, V3TokenData } from "./AccessToken.js"
import * as AuthError from "./AuthError.js"
import * as Destination from "./internal/destination.js"
import * as Http from "./internal/http.js"
import * as Secrets from "./internal/secrets.js"
import * as Validation from "./Validation.js"

/**
 * How to get tokens from a Hosecloud endpoint. Implementations report every failure as an `AuthError`
 * and never retry: retries, time-outs and single flight belong to `HosecloudAuth`.
 *
 * @since 0.1.0
 * @category models
 */
export interface TokenProtocol {
  /** A short name for spans and logs, e.g. `"v3"`. */
  readonly name: string
  /** Get a new token with the credentials. */
  readonly issue: Effect.Effect<AccessToken.IssuedToken, AuthError.AuthError>
  /**
   * Exchange a still valid token for a new one, when the endpoint offers it. When it fails,
   * `HosecloudAuth` falls back to `issue`.
   */
  readonly refresh: Option.Option<
    (current: AccessToken.AccessToken) => Effect.Effect<AccessToken.IssuedToken, AuthError.AuthError>
  >
  /**
   * The secrets this protocol sends (`appSecurity`). `HosecloudAuth` masks them, and the tokens it holds,
   * in any text it did not write itself before that text reaches an error, a log line or a span.
   */
  readonly secrets?: ReadonlyArray<Redacted.Redacted<string>> | undefined
  /** The host name the protocol sends its requests to, for the request span's `server.address`. */
  readonly serverAddress?: string | undefined
}

/**
 * The protocol with its answers scrubbed: a server can echo `appSecurity` or the token itself as the
 * `corpId`, which is shown, logged and put on spans, so every form of the protocol's `secrets` and of the
 * token's own values (raw, URI-encoded, base64, base64url, hex) is replaced there by `<redacted>`. The
 * v3 and legacy protocols are scrubbed already; a custom protocol can be passed through this.
 *
 * @since 0.3.0
 * @category combinators
 */
export const scrubbed = (protocol: TokenProtocol): TokenProtocol => {
  const secrets = protocol.secrets ?? []
  const clean = (issued: AccessToken.IssuedToken) => Secrets.scrubIssued(issued, secrets)
  return {
    ...protocol,
    issue: Effect.map(protocol.issue, clean),
    refresh: Option.map(protocol.refresh, (refresh) => (current) => Effect.map(refresh(current), clean))
  }
}

/**
 * The default token host (`authUrl`).
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultAuthUrl = "https://open.hosecloud.com"

/**
 * The v3 getAccessToken path.
 *
 * @since 0.1.0
 * @category constants
 */
export const v3Path = "/auth/openApi/v3/getAccessToken"

/**
 * Bodies larger than this are not read: a token answer is well under 4 KiB.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultMaxBodyBytes = 64 * 1024

/**
 * Options of the v3 protocol.
 *
 * @example
 * ```ts
 * import { HosecloudAuth, TokenProtocol } from "@effect-hosecloud/core"
 * import { Redacted } from "effect"
 *
 * // the default protocol, named: the v3 endpoint of a token host
 * export const AuthLive = HosecloudAuth.layerWith(
 *   TokenProtocol.v3({ appKey: "app-key", appSecurity: Redacted.make("app-security"), authUrl: "https://open.hosecloud.com" })
 * )
 * ```
 *
 * @since 0.1.0
 * @category models
 */
export interface V3Options {
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  /** Default `https://open.hosecloud.com`. */
  readonly authUrl?: string | undefined
  /** Default 64 KiB. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * `POST {authUrl}/auth/openApi/v3/getAccessToken` with `{ appKey, appSecurity }`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const v3 = (options: V3Options): Effect.Effect<TokenProtocol, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (client) => {
    const url = joinUrl(options.authUrl ?? defaultAuthUrl, v3Path)
    const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
    const issue = Effect.suspend(() =>
      fetchAnswer(
        client,
        HttpClientRequest.post(url).pipe(
          HttpClientRequest.acceptJson,
          // the secret is unwrapped here, at the last moment, onto the wire only
          HttpClientRequest.bodyJsonUnsafe({
            appKey: options.appKey,
            appSecurity: Redacted.value(options.appSecurity)
          })
        ),
        maxBodyBytes
      )
    ).pipe(
      Effect.flatMap(({ body, response, status }) => Effect.fromResult(decodeV3(status, body, serverTime(response))))
    )
    return scrubbed({
      name: "v3",
      issue,
      refresh: Option.none(),
      secrets: [options.appSecurity],
      serverAddress: new URL(url).hostname
    })
  })

/**
 * A transport failure of any protocol as a `SystemError` with a cause that holds no secret.
 *
 * @since 0.1.0
 * @category errors
 */
export const transportError = (error: HttpClientError.HttpClientError): AuthError.SystemError =>
  AuthError.systemError({
    reason: isRequestError(error) ? "Transport" : "Decode",
    description: isRequestError(error) ? Http.describeTransport(error) : "the answer could not be read",
    cause: Http.safeHttpCause(error)
  })

/** A failure to send the request (v3's `RequestError`), not to read an answer. */
const isRequestError = (error: HttpClientError.HttpClientError): boolean =>
  error.reason._tag === "TransportError" || error.reason._tag === "EncodeError" ||
  error.reason._tag === "InvalidUrlError"

const redirected = (description: string, status?: number) =>
  AuthError.systemError({
    reason: "Upstream",
    status,
    description: `${description}; a token request never follows a redirect`
  })

/**
 * Sends a token request and reads its answer, never following a redirect: a 3xx answer is a
 * `SystemError`, and so is an answer that came from another origin (an `HttpClient` that followed a
 * redirect by itself).
 *
 * @since 0.2.0
 * @category constructors
 */
export const fetchAnswer = (
  client: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  maxBodyBytes: number
): Effect.Effect<
  { readonly status: number; readonly body: string; readonly response: HttpClientResponse.HttpClientResponse },
  AuthError.SystemError
> =>
  Destination.withoutRedirects(client.execute(request)).pipe(
    Effect.catch((error) => Effect.fail(transportError(error))),
    Effect.flatMap((response) => {
      const sent = Destination.parse(request.url)
      const answered = Destination.parse(response.request.url)
      if (Option.isSome(sent) && Option.isSome(answered) && sent.value.origin !== answered.value.origin) {
        return Effect.fail(redirected(`the answer came from ${answered.value.origin}`, response.status))
      }
      if (Destination.isRedirect(response.status)) {
        const location = response.headers["location"]
        return Effect.fail(redirected(
          `the token endpoint answered HTTP ${response.status}, a redirect${
            location === undefined ? "" : ` to ${Validation.displayUrl(location)}`
          }`,
          response.status
        ))
      }
      return readAnswer(response, maxBodyBytes)
    })
  )

/**
 * Reads an answer's status and body (at most `maxBodyBytes`) as text, in one buffer: a `content-length`
 * above the limit is refused before the body is read, and a body without one is measured once read. A body
 * too large or unreadable is a `SystemError`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const readAnswer = (
  response: HttpClientResponse.HttpClientResponse,
  maxBodyBytes: number
): Effect.Effect<
  { readonly status: number; readonly body: string; readonly response: HttpClientResponse.HttpClientResponse },
  AuthError.SystemError
> =>
  Http.readTextWhole(response, maxBodyBytes).pipe(
    Effect.map((body) => ({ status: response.status, body, response })),
    Effect.catch((error) =>
      Effect.fail(
        error._tag === "BodyTooLarge"
          ? AuthError.systemError({
            reason: "Decode",
            status: response.status,
            description: `the answer was larger than ${error.limit} bytes`
          })
          : transportError(error)
      )
    )
  )

/**
 * The server clock from a response's `Date` header, when it has a valid one.
 *
 * @since 0.1.0
 * @category decoding
 */
export const serverTime = (response: HttpClientResponse.HttpClientResponse): Option.Option<number> => {
  const date = response.headers["date"]
  if (date === undefined) return Option.none()
  const millis = Date.parse(date)
  return Number.isFinite(millis) ? Option.some(millis) : Option.none()
}

const decodeEnvelope = Schema.decodeUnknownResult(V3Envelope)
const decodeData = Schema.decodeUnknownResult(V3TokenData)

/**
 * Interprets a v3 getAccessToken answer: `code "200"` is a token, `"403"` is `InvalidKey`, anything
 * else (including HTTP errors and bodies of any other shape) is a `SystemError`.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeV3 = (
  status: number,
  body: string,
  serverTime: Option.Option<number> = Option.none()
): Result.Result<AccessToken.IssuedToken, AuthError.AuthError> => {
  const json = parseJson(body)
  const envelope = Result.isSuccess(json) ? decodeEnvelope(json.success) : undefined
  if (status < 200 || status >= 300) {
    const known = envelope !== undefined && Result.isSuccess(envelope) ? envelope.success : undefined
    return Result.fail(AuthError.systemError({
      reason: "Upstream",
      status,
      code: known?.code,
      msg: known?.msg,
      traceId: known?.traceId,
      description: `the token endpoint answered HTTP ${status}`
    }))
  }
  if (Result.isFailure(json)) {
    return Result.fail(AuthError.systemError({
      reason: "Decode",
      status,
      description: `the answer was not JSON (${describeBody(body)})`
    }))
  }
  if (envelope === undefined || Result.isFailure(envelope)) {
    return Result.fail(AuthError.systemError({
      reason: "Decode",
      status,
      description: `the answer was not a { code, msg, data } envelope (${
        envelope === undefined ? "" : issuePaths(envelope.failure)
      })`
    }))
  }
  const { code, data, msg, traceId } = envelope.success
  switch (code) {
    case "200": {
      const decoded = decodeData(data)
      if (Result.isFailure(decoded)) {
        return Result.fail(AuthError.systemError({
          reason: "Decode",
          status,
          code,
          msg,
          traceId,
          description: `the token data was not of the documented shape (${issuePaths(decoded.failure)})`
        }))
      }
      return Result.succeed({ ...decoded.success, serverTime })
    }
    case "403":
      return Result.fail(new AuthError.InvalidKey({ code, msg: msg ?? "" }))
    default:
      return Result.fail(AuthError.systemError({
        reason: "Upstream",
        status,
        code,
        msg,
        traceId,
        description: `the token endpoint answered code ${code}${msg === undefined ? "" : ` (${msg})`}`
      }))
  }
}

const parseJson = (body: string): Result.Result<unknown, unknown> => Result.try(() => JSON.parse(body) as unknown)

/**
 * Where a body failed to decode, without the values: a partly valid body can hold a token.
 *
 * @since 0.1.0
 * @category decoding
 */
export const issuePaths = (error: Schema.SchemaError): string =>
  leafIssues(error.issue, [])
    .map(({ path, tag }) => `${path.length === 0 ? "(root)" : path.map(String).join(".")}: ${tag}`)
    .join("; ")

const leafIssues = (
  issue: SchemaIssue.Issue,
  path: ReadonlyArray<PropertyKey>
): Array<{ readonly path: ReadonlyArray<PropertyKey>; readonly tag: string }> => {
  switch (issue._tag) {
    case "Pointer":
      return leafIssues(issue.issue, [...path, ...issue.path])
    case "Filter":
    case "Encoding":
      return leafIssues(issue.issue, path)
    case "Composite":
    case "AnyOf":
      return issue.issues.length === 0 ? [{ path, tag: issue._tag }] : issue.issues.flatMap((inner) => leafIssues(inner, path))
    default:
      return [{ path, tag: issue._tag }]
  }
}

const describeBody = (body: string): string => {
  const trimmed = body.trimStart()
  if (trimmed.length === 0) return "empty body"
  if (trimmed.startsWith("<")) return `HTML or XML, ${body.length} characters`
  return `${body.length} characters`
}

/**
 * Joins a base URL and a path with exactly one slash between them.
 *
 * @since 0.1.0
 * @category constructors
 */
export const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`
