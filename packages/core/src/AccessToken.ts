/**
 * The access token as the library hands it out, and the v3 wire shapes it is decoded from.
 * Both tokens are `Redacted` from the moment they are decoded; times are in the local clock.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AuthError from "./AuthError.js"

/**
 * Tenant-level (租户级) or platform-level (平台级) authorization.
 *
 * @since 0.1.0
 * @category models
 */
export const Scope = Schema.Literal("tenant", "platform")

/**
 * @since 0.1.0
 * @category models
 */
export type Scope = typeof Scope.Type

/**
 * A Hosecloud access token. `expiresAt` and `issuedAt` are in the local clock: the server's
 * `expiresTime` is translated with the clock skew measured on the response that carried it.
 *
 * @since 0.1.0
 * @category models
 */
export class AccessToken extends Schema.Class<AccessToken>("@effect-hosecloud/core/AccessToken")({
  corpId: Schema.String,
  accessToken: Schema.RedactedFromSelf(Schema.String),
  refreshToken: Schema.RedactedFromSelf(Schema.String),
  scope: Scope,
  expiresAt: Schema.DateTimeUtcFromSelf,
  issuedAt: Schema.DateTimeUtcFromSelf
}) {
  /**
   * Milliseconds left at `nowMillis` (negative once expired).
   */
  millisLeft(nowMillis: number): number {
    return DateTime.toEpochMillis(this.expiresAt) - nowMillis
  }
}

/**
 * What a token endpoint answered, before it is placed on the local clock.
 *
 * @since 0.1.0
 * @category models
 */
export interface IssuedToken {
  readonly corpId: string
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Redacted.Redacted<string>
  readonly scope: Scope
  /** Absolute expiry in the server's clock, epoch milliseconds. */
  readonly expiresTime: number
  /** The server's clock (its `Date` header) at the time it answered, epoch milliseconds, when known. */
  readonly serverTime: Option.Option<number>
}

/**
 * Places an issued token on the local clock.
 *
 * `sentAt` and `receivedAt` are local times around the request. The server stamped its `Date` header
 * (whole seconds) somewhere in between, so the skew is estimated on the safe side: the server's second is
 * assumed to have ended, and the stamp to have happened as early as `sentAt`. A token is then seen as
 * expiring up to one second plus one round trip early, never late.
 *
 * A token that is already expired after this correction is a `SystemError` (reason `Expired`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIssued = (
  issued: IssuedToken,
  timing: { readonly sentAt: number; readonly receivedAt: number }
): Either.Either<AccessToken, AuthError.SystemError> => {
  const offset = Option.match(issued.serverTime, {
    onNone: () => 0,
    onSome: (serverTime) => timing.sentAt - (Math.floor(serverTime / 1000) * 1000 + 999)
  })
  const expiresAt = issued.expiresTime + offset
  if (!Number.isFinite(expiresAt) || expiresAt <= timing.receivedAt) {
    return Either.left(AuthError.systemError({
      reason: "Expired",
      description: `the token arrived already expired (expiresTime ${issued.expiresTime}, clock offset ${offset} ms)`
    }))
  }
  return Either.right(
    new AccessToken({
      corpId: issued.corpId,
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      scope: issued.scope,
      expiresAt: DateTime.unsafeMake(expiresAt),
      issuedAt: DateTime.unsafeMake(timing.receivedAt)
    })
  )
}

/**
 * The `{ code, msg, data, traceId? }` envelope every v3 answer comes in (HTTP 200 for all of them).
 *
 * @since 0.1.0
 * @category wire
 */
export const V3Envelope = Schema.Struct({
  code: Schema.String,
  msg: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Unknown),
  traceId: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category wire
 */
export type V3Envelope = typeof V3Envelope.Type

/**
 * The `data` of a successful v3 getAccessToken answer (`code: "200"`).
 *
 * @since 0.1.0
 * @category wire
 */
export const V3TokenData = Schema.Struct({
  corpId: Schema.String,
  accessToken: Schema.Redacted(Schema.NonEmptyString),
  refreshToken: Schema.Redacted(Schema.String),
  expiresTime: Schema.Number.pipe(Schema.finite()),
  scope: Scope
})

/**
 * @since 0.1.0
 * @category wire
 */
export type V3TokenData = typeof V3TokenData.Type

/**
 * `true` when the two values hold the same access token string.
 *
 * @since 0.1.0
 * @category predicates
 */
export const sameToken = (a: AccessToken, b: AccessToken): boolean =>
  a === b || Redacted.value(a.accessToken) === Redacted.value(b.accessToken)
