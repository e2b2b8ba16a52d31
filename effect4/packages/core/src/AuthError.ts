/**
 * The two ways getting an access token can fail. Everything the token endpoint can do wrong
 * (codes, bodies, HTTP statuses, sockets, time-outs) is folded into one of them, so a caller
 * only ever handles `InvalidKey` (fix the credentials) or `SystemError` (try later, quote the traceId).
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * The credentials were refused (`appKey` / `appSecurity` wrong). Retrying cannot help.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidKey extends Schema.TaggedError<InvalidKey>("@effect-hosecloud/core/InvalidKey")("InvalidKey", {
  /** The code the server answered with, e.g. `"403"`. */
  code: Schema.String,
  /** The server's message, e.g. `密钥无效`. */
  msg: Schema.String
}) {
  override get message(): string {
    return `Hosecloud refused the credentials (code ${this.code}: ${this.msg}); check appKey and appSecurity`
  }
}

/**
 * What went wrong, in broad terms, when the failure is not the caller's fault.
 *
 * - `Upstream`: Hosecloud answered with an error code or status (traceId when it sent one)
 * - `Transport`: the request did not reach Hosecloud or the connection broke
 * - `Timeout`: no answer within `requestTimeout`
 * - `Decode`: the answer was not of the documented shape
 * - `Expired`: the token was already expired when it arrived (after clock-skew correction)
 * - `Defect`: something died while getting the token (a bug in an `HttpClient` middleware, a custom
 *   `TokenProtocol`, a store or the library); `cause` holds the defect with every known secret masked
 *
 * @since 0.1.0
 * @category errors
 */
export const SystemErrorReason = Schema.Literals(["Upstream", "Transport", "Timeout", "Decode", "Expired", "Defect"])

/**
 * What went wrong, in broad terms (see the schema of the same name).
 *
 * @since 0.1.0
 * @category errors
 */
export type SystemErrorReason = typeof SystemErrorReason.Type

/**
 * Hosecloud could not issue a token now. `traceId` is what Hosecloud support asks for.
 *
 * @since 0.1.0
 * @category errors
 */
export class SystemError extends Schema.TaggedError<SystemError>("@effect-hosecloud/core/SystemError")("SystemError", {
  reason: SystemErrorReason,
  /** Hosecloud's trace id of the failed request, when the answer carried one. */
  traceId: Schema.Option(Schema.String),
  /** The envelope `code`, when there was an envelope. */
  code: Schema.Option(Schema.String),
  /** The envelope `msg`, when there was an envelope. */
  msg: Schema.Option(Schema.String),
  /** The HTTP status, when there was an answer. */
  status: Schema.Option(Schema.Number),
  /** A short description of the failure in words. Never holds a secret. */
  description: Schema.String,
  /** The underlying failure, stripped of anything that could hold a secret. */
  cause: Schema.optional(Schema.Defect())
}) {
  override get message(): string {
    const parts = [`Hosecloud system error (${this.reason}): ${this.description}`]
    if (Option.isSome(this.code)) parts.push(`code ${this.code.value}`)
    if (Option.isSome(this.status)) parts.push(`HTTP ${this.status.value}`)
    if (Option.isSome(this.traceId)) parts.push(`traceId ${this.traceId.value}`)
    return parts.join(", ")
  }
}

/**
 * Every way a token request can fail.
 *
 * @since 0.1.0
 * @category errors
 */
export type AuthError = InvalidKey | SystemError

/**
 * Builds a `SystemError`, filling the optional fields with `None`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const systemError = (options: {
  readonly reason: SystemErrorReason
  readonly description: string
  readonly traceId?: string | undefined
  readonly code?: string | undefined
  readonly msg?: string | undefined
  readonly status?: number | undefined
  readonly cause?: unknown
}): SystemError =>
  new SystemError({
    reason: options.reason,
    description: options.description,
    traceId: Option.fromNullishOr(options.traceId),
    code: Option.fromNullishOr(options.code),
    msg: Option.fromNullishOr(options.msg),
    status: Option.fromNullishOr(options.status),
    ...(options.cause === undefined ? {} : { cause: options.cause })
  })

/**
 * `true` for either member of the `AuthError` union.
 *
 * @example
 * ```ts
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { Effect, Option } from "effect"
 *
 * // each member of the union, handled by its tag
 * export const token = Effect.flatMap(HosecloudAuth.HosecloudAuth, (auth) => auth.token).pipe(
 *   Effect.catchTags({
 *     InvalidKey: (e) => Effect.fail(`check HOSECLOUD_APP_KEY and HOSECLOUD_APP_SECURITY: ${e.message}`),
 *     SystemError: (e) => Effect.fail(`${e.reason}: quote traceId ${Option.getOrElse(e.traceId, () => "-")}`)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category refinements
 */
export const isAuthError = (u: unknown): u is AuthError => u instanceof InvalidKey || u instanceof SystemError

/**
 * An option (or a credential) was refused when the layer, the service or the tenant was built. `option`
 * names it as the caller wrote it (`refreshWindow`, `appSecurity`, `HosecloudClient.token.name`, ...),
 * `rule` says what it must be, and `received` describes what was given (never a secret's value).
 *
 * It is not part of the `AuthError` union: a service that was built never fails with it.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidOptions extends Schema.TaggedError<InvalidOptions>("@effect-hosecloud/core/InvalidOptions")(
  "InvalidOptions",
  {
    option: Schema.String,
    rule: Schema.String,
    received: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    return `invalid option ${this.option}: ${this.rule}${this.received === undefined ? "" : ` (got ${this.received})`}`
  }
}
