/**
 * Checks of options. Every layer of the library checks its options once, where it is built, and a bad
 * one is an `InvalidOptions` in the error channel that names it. Each check is a pure function from what
 * the caller passed (typed or not: JavaScript callers pass anything) to the value the library uses, so
 * that code building on the library (a store, a protocol, an adapter) can refuse its options the same way.
 *
 * @since 0.2.0
 */
import * as Duration from "effect/Duration"
import * as Result from "effect/Result"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import { InvalidOptions } from "./AuthError.js"
import * as Destination from "./internal/destination.js"

/**
 * A check's answer: the value to use, or the refusal.
 *
 * @since 0.2.0
 * @category models
 */
export type Check<A> = Result.Result<A, InvalidOptions>

const invalid = (option: string, rule: string, received?: string): Result.Result<never, InvalidOptions> =>
  Result.fail(new InvalidOptions({ option, rule, ...(received === undefined ? {} : { received }) }))

/**
 * A short description of a value that is not a secret, for `InvalidOptions.received`.
 *
 * @since 0.2.0
 * @category formatting
 */
export const describe = (value: unknown): string => {
  if (typeof value === "string") return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value)
  if (value === null) return "null"
  if (value === undefined) return "undefined"
  if (Duration.isDuration(value)) return Duration.format(value)
  if (Array.isArray(value)) return `an array of ${value.length}`
  return `a value of type ${typeof value}`
}

/**
 * A positive, finite duration (any `DurationInput`); `fallback` when not given.
 *
 * @since 0.2.0
 * @category checks
 */
export const duration = (
  option: string,
  input: unknown,
  fallback: Duration.Input
): Check<Duration.Duration> => {
  if (input === undefined) return Result.succeed(Duration.fromInputUnsafe(fallback))
  // `fromInput` answers None for what is no duration input, whatever its type
  const decoded = Duration.fromInput(input as Duration.Input)
  if (Option.isNone(decoded)) return invalid(option, "must be a duration such as \"5 minutes\" or a number of milliseconds", describe(input))
  const value = decoded.value
  // NaN decodes to zero and a negative input stays negative (Effect 3 clamped it to zero): one check refuses all
  if (!Duration.isFinite(value) || !(Duration.toMillis(value) > 0)) {
    return invalid(option, "must be a positive, finite duration", describe(input))
  }
  return Result.succeed(value)
}

/**
 * A positive whole number (a size, a count); `fallback` when not given.
 *
 * @since 0.2.0
 * @category checks
 */
export const size = (option: string, input: unknown, fallback: number): Check<number> => {
  if (input === undefined) return Result.succeed(fallback)
  return typeof input === "number" && Number.isSafeInteger(input) && input > 0
    ? Result.succeed(input)
    : invalid(option, "must be a positive whole number", describe(input))
}

/**
 * A whole number from `min` to `max`.
 *
 * @since 0.2.0
 * @category checks
 */
export const integer = (option: string, input: unknown, min: number, max: number): Check<number> =>
  typeof input === "number" && Number.isSafeInteger(input) && input >= min && input <= max
    ? Result.succeed(input)
    : invalid(option, `must be a whole number from ${min} to ${max}`, describe(input))

/**
 * A string with something in it (not only spaces).
 *
 * @since 0.2.0
 * @category checks
 */
export const nonEmptyString = (option: string, input: unknown): Check<string> =>
  typeof input === "string" && input.trim() !== ""
    ? Result.succeed(input)
    : invalid(option, "must be a non-empty string", describe(input))

/**
 * A secret: a `Redacted` string with something in it. A plain string is refused, since it would show in
 * logs and errors; its value is never described.
 *
 * @since 0.2.0
 * @category checks
 */
export const secret = (option: string, input: unknown): Check<Redacted.Redacted<string>> => {
  if (!Redacted.isRedacted(input)) {
    return invalid(
      option,
      "must be a Redacted string (Redacted.make(...) or Config.Redacted(...)), so that it never shows in a log",
      typeof input === "string" ? "a plain string" : describe(input)
    )
  }
  const value: unknown = Redacted.value(input)
  return typeof value === "string" && value.trim() !== ""
    ? Result.succeed(input as Redacted.Redacted<string>)
    : invalid(option, "must not be empty", typeof value === "string" ? "an empty secret" : "a secret that is not a string")
}

/**
 * A `Schedule`; `fallback` when not given.
 *
 * @since 0.2.0
 * @category checks
 */
export const schedule = <S>(option: string, input: unknown, fallback: S): Check<S> => {
  if (input === undefined) return Result.succeed(fallback)
  return Schedule.isSchedule(input) ? Result.succeed(input as S) : invalid(option, "must be a Schedule", describe(input))
}

/**
 * One of the given strings.
 *
 * @since 0.2.0
 * @category checks
 */
export const oneOf = <const L extends ReadonlyArray<string>>(option: string, input: unknown, literals: L): Check<L[number]> =>
  typeof input === "string" && literals.includes(input)
    ? Result.succeed(input as L[number])
    : invalid(option, `must be one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`, describe(input))

/**
 * An HTTP header name (an RFC 9110 token).
 *
 * @since 0.2.0
 * @category checks
 */
export const headerName = (option: string, input: unknown): Check<string> =>
  typeof input === "string" && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(input)
    ? Result.succeed(input)
    : invalid(option, "must be an HTTP header name (letters, digits and !#$%&'*+.^_`|~-)", describe(input))

/**
 * Checks a Hosecloud URL: `https:`, or `http:` on a loopback host; no user name, password, query string
 * or fragment. Answers the reason in words.
 *
 * @since 0.2.0
 * @category checks
 */
export const checkUrl = (url: unknown): Result.Result<string, string> => {
  if (typeof url !== "string") return Result.fail(`not a URL: ${describe(url)}`)
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return Result.fail(`not a URL: ${describe(url)}`)
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return Result.fail("a Hosecloud URL must not carry a user name or password")
  }
  if (parsed.search !== "" || parsed.hash !== "") {
    return Result.fail("a Hosecloud URL must not carry a query string or a fragment")
  }
  if (Destination.isSafeScheme(parsed)) return Result.succeed(url)
  return Result.fail(
    `a Hosecloud URL must use https: (http: only on 127.0.0.1, localhost or [::1]), got ${parsed.protocol}//${parsed.host}`
  )
}

/**
 * A Hosecloud URL (see `checkUrl`); `fallback` when not given.
 *
 * @example
 * ```ts
 * import { Validation } from "@effect-hosecloud/core"
 * import { Effect } from "effect"
 *
 * // fails with InvalidOptions naming "probeUrl": plain http: is refused off loopback
 * export const probe = Effect.fromResult(Validation.url("probeUrl", "http://example.com")).pipe(Effect.result)
 * ```
 *
 * @since 0.2.0
 * @category checks
 */
export const url = (option: string, input: unknown, fallback?: string): Check<string> => {
  const value = input === undefined ? fallback : input
  return Result.mapError(checkUrl(value), (reason) => new InvalidOptions({ option, rule: reason }))
}

/**
 * A URL as it may be shown in an error or a log line: no user name, password, query string or fragment
 * (where credentials and tokens travel).
 *
 * @since 0.2.0
 * @category formatting
 */
export const displayUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, "//").replace(/[?#].*$/, "")
  }
}
