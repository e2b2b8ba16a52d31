/**
 * The defaults and the checks of `HosecloudAuth`'s options, shared with `TenantRegistry` (which checks
 * them once for all its tenants).
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import type * as AccessToken from "../AccessToken.js"
import * as AuthError from "../AuthError.js"
import type * as HosecloudAuth from "../HosecloudAuth.js"
import type * as TokenStore from "../TokenStore.js"
import type { Settings } from "./engine/model.js"
import * as SharedToken from "./sharedToken.js"
import * as Validation from "../Validation.js"

/** @internal */
export const defaultRetry: Schedule.Schedule<unknown, AuthError.SystemError> = Schedule.exponential("100 millis").pipe(
  Schedule.jittered,
  (exponential) => Schedule.min([exponential, Schedule.spaced("30 seconds")])
)

/** @internal */
export const defaultWaitRetry: Schedule.Schedule<unknown, AuthError.SystemError> = Schedule.exponential("100 millis")
  .pipe(
    Schedule.jittered,
    (exponential) => Schedule.max([exponential, Schedule.recurs(4)]),
    Schedule.upTo({ duration: "2 seconds" })
  )

/** @internal */
export const refreshBefore = (
  window: Duration.Input
): Schedule.Schedule<AccessToken.AccessToken, AccessToken.AccessToken> => {
  const windowMillis = Duration.toMillis(window)
  return Schedule.identity<AccessToken.AccessToken>().pipe(
    Schedule.modifyDelay(({ input: token }) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const expiresAt = token.expiresAt.epochMilliseconds
        const refreshAt = expiresAt - Math.min(windowMillis, (expiresAt - token.issuedAt.epochMilliseconds) / 2)
        return Duration.millis(Math.max(0, refreshAt - now))
      })
    )
  )
}

/** @internal */
export interface Checked {
  readonly settings: Settings
  readonly sharing: TokenStore.SharingOptions | undefined
}

/** @internal */
export const checkCacheOptions = (options: HosecloudAuth.CacheOptions): Validation.Check<Checked> =>
  Result.all({
    refreshWindow: Validation.duration("refreshWindow", options.refreshWindow, "5 minutes"),
    requestTimeout: Validation.duration("requestTimeout", options.requestTimeout, "10 seconds"),
    waitTimeout: Validation.duration("waitTimeout", options.waitTimeout, "10 seconds"),
    retry: Validation.schedule("retry", options.retry, defaultRetry),
    waitRetry: Validation.schedule("waitRetry", options.waitRetry, defaultWaitRetry),
    refreshSchedule: Validation.schedule<Schedule.Schedule<unknown, AccessToken.AccessToken> | undefined>(
      "refreshSchedule",
      options.refreshSchedule,
      undefined
    ),
    invalidKeyCooldown: Validation.duration("invalidKeyCooldown", options.invalidKeyCooldown, "30 seconds"),
    invalidationInterval: Validation.duration("invalidationInterval", options.invalidationInterval, "5 seconds"),
    sharing: options.sharing === undefined ? Result.succeed(undefined) : checkSharing(options.sharing)
  }).pipe(
    Result.map(({ refreshSchedule, refreshWindow, sharing, ...rest }) => ({
      settings: { ...rest, refreshWindow, refreshSchedule: refreshSchedule ?? refreshBefore(refreshWindow) },
      sharing
    }))
  )

const checkSharing = (sharing: TokenStore.SharingOptions): Validation.Check<TokenStore.SharingOptions> =>
  Result.all({
    store: typeof sharing.store === "object" && sharing.store !== null
      ? Result.succeed(sharing.store)
      : Result.fail(new AuthError.InvalidOptions({ option: "store", rule: "must be a TokenStore service" })),
    key: Validation.nonEmptyString("sharing.key", sharing.key),
    leaseTtl: Validation.duration("leaseTtl", sharing.leaseTtl, SharedToken.defaultLeaseTtl),
    encryptionKey: sharing.encryptionKey === undefined
      ? Result.succeed(undefined)
      : Result.flatMap(Validation.secret("encryptionKey", sharing.encryptionKey), randomKey)
  })

/** The shortest `encryptionKey`: it is stretched with HKDF, which adds no cost to guessing it. */
const minimumKeyLength = 32

const randomKey = (key: Redacted.Redacted<string>): Validation.Check<Redacted.Redacted<string>> =>
  Redacted.value(key).length >= minimumKeyLength
    ? Result.succeed(key)
    : Result.fail(
      new AuthError.InvalidOptions({
        option: "encryptionKey",
        rule: `must be a random key of at least ${minimumKeyLength} characters (for example \`openssl rand -base64 32\`), ` +
          "not a password: it is stretched with HKDF, which makes a guess no dearer",
        received: `${Redacted.value(key).length} characters`
      })
    )

/** @internal */
export const checkCredentials = (
  options: { readonly appKey: unknown; readonly appSecurity: unknown },
  prefix = ""
): Validation.Check<{ readonly appKey: string; readonly appSecurity: Redacted.Redacted<string> }> =>
  Result.all({
    appKey: Validation.nonEmptyString(`${prefix}appKey`, options.appKey),
    appSecurity: Validation.secret(`${prefix}appSecurity`, options.appSecurity)
  })
