/**
 * The access token as the library hands it out, and the v3 wire shapes it is decoded from.
 * Both tokens are `Redacted` from the moment they are decoded; times are in the local clock.
 *
 * @since 0.1.0
 */
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
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
export const Scope = Schema.Literals(["tenant", "platform"])

/**
 * `"tenant"` or `"platform"`.
 *
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
  accessToken: Schema.Redacted(Schema.String),
  refreshToken: Schema.Redacted(Schema.String),
  scope: Scope,
  expiresAt: Schema.DateTimeUtc,
  issuedAt: Schema.DateTimeUtc
}) {
  /**
   * Milliseconds left at `nowMillis` (negative once expired).
   *
   * @since 0.1.0
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
 * The largest clock skew a `Date` header is trusted with: 24 hours. A server clock that far off is a
 * broken proxy or a broken clock, not a time zone, and trusting it would move a token's expiry by more
 * than its whole life (a `Date` of 1970 would make a 2-hour token last until 2083).
 *
 * @since 0.2.0
 * @category constants
 */
export const maxClockSkew: Duration.Duration = Duration.hours(24)

/**
 * The longest lifetime a token is believed to have: 400 days. Hosecloud issues tokens for 2 hours (v3,
 * v1) or 32 days (the legacy refresh, capped by the licence); an `expiresTime` further out is a unit
 * error (micro- or nanoseconds) or garbage, and serving such a token "forever" would hide it.
 *
 * @since 0.2.0
 * @category constants
 */
export const maxLifetime: Duration.Duration = Duration.days(400)

/**
 * How far the server's clock is ahead of the local one, measured from its `Date` header (whole seconds)
 * on the safe side: the server's second is assumed to have ended, and the stamp to have happened as
 * early as `sentAt`. `Right(offset)` to use; `Left(offset)` when it is larger than `maxClockSkew` and is
 * ignored; `Right(0)` without a `Date` header.
 *
 * @since 0.2.0
 * @category constructors
 */
export const clockOffset = (
  serverTime: Option.Option<number>,
  sentAt: number
): Result.Result<number, number> =>
  Option.match(serverTime, {
    onNone: () => Result.succeed(0),
    onSome: (server) => {
      const offset = sentAt - (Math.floor(server / 1000) * 1000 + 999)
      return Math.abs(offset) > Duration.toMillis(maxClockSkew) ? Result.fail(offset) : Result.succeed(offset)
    }
  })

/**
 * Places an issued token on the local clock.
 *
 * `sentAt` and `receivedAt` are local times around the request. The server's `Date` header gives the
 * clock offset (see `clockOffset`; an offset beyond `maxClockSkew` is ignored), so a token is seen as
 * expiring up to one second plus one round trip early, never late.
 *
 * A token already expired after this correction is a `SystemError` (reason `Expired`); an `expiresTime`
 * that gives the token a life beyond `maxLifetime`, or that lies further in the past than that (seconds
 * instead of milliseconds), is a `SystemError` (reason `Decode`): neither is ever served.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromIssued = (
  issued: IssuedToken,
  timing: { readonly sentAt: number; readonly receivedAt: number }
): Result.Result<AccessToken, AuthError.SystemError> => {
  const expiresTime = issued.expiresTime
  const offset = Result.getOrElse(clockOffset(issued.serverTime, timing.sentAt), () => 0)
  const expiresAt = expiresTime + offset
  const lifetime = expiresAt - timing.receivedAt
  const bound = Duration.toMillis(maxLifetime)
  if (!Number.isFinite(lifetime) || lifetime < -bound) {
    return Result.fail(AuthError.systemError({
      reason: "Decode",
      description: `expiresTime ${expiresTime} is not a timestamp in milliseconds`
    }))
  }
  if (lifetime <= 0) {
    return Result.fail(AuthError.systemError({
      reason: "Expired",
      description: `the token arrived already expired (expiresTime ${expiresTime}, clock offset ${offset} ms)`
    }))
  }
  const expires = DateTime.make(expiresAt)
  const issuedAt = DateTime.make(timing.receivedAt)
  if (lifetime > bound || Option.isNone(expires) || Option.isNone(issuedAt)) {
    return Result.fail(AuthError.systemError({
      reason: "Decode",
      description: `expiresTime ${expiresTime} gives the token an implausible life of ${
        Math.round(lifetime / 86_400_000)
      } days (at most ${Duration.format(maxLifetime)})`
    }))
  }
  return Result.succeed(
    new AccessToken({
      corpId: issued.corpId,
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      scope: issued.scope,
      expiresAt: DateTime.toUtc(expires.value),
      issuedAt: DateTime.toUtc(issuedAt.value)
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
 * The decoded v3 envelope.
 *
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
  accessToken: Schema.RedactedFromValue(Schema.NonEmptyString),
  refreshToken: Schema.RedactedFromValue(Schema.String),
  expiresTime: Schema.Finite,
  scope: Scope
})

/**
 * The decoded `data` of a successful v3 answer.
 *
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
