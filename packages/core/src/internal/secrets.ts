/**
 * The one place where text the library did not write is cleaned of secrets before it goes into an error,
 * a log line or a span. A server can echo anything back (`appSecurity` in a "bad parameters" message, the
 * token in a business error), so every such text is scrubbed of the secret values the library knows at
 * that point, and of anything shaped like a token or secret parameter, replaced by `<redacted>`.
 *
 * @internal
 */
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as AccessToken from "../AccessToken.js"
import * as AuthError from "../AuthError.js"

/** @internal */
export const marker = "<redacted>"

const secretParam = /((?:access|refresh)_?Token|appSecurity)(["']?\s*[=:]\s*["']?)[^&\s"',}]+/gi

/** Masks the given secret values, and anything that looks like a token or secret parameter, in a text. @internal */
export const scrub = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) {
    // a secret of one or two characters would mask half the text; real ones are far longer
    if (secret.length > 2) {
      out = out.split(secret).join(marker)
      const encoded = encodeURIComponent(secret)
      if (encoded !== secret) out = out.split(encoded).join(marker)
    }
  }
  return out.replace(secretParam, `$1$2${marker}`)
}

/** The values of some secrets. @internal */
export const values = (secrets: ReadonlyArray<Redacted.Redacted<string>>): ReadonlyArray<string> =>
  secrets.map((secret) => Redacted.value(secret))

/** The two secrets of a token. @internal */
export const ofToken = (token: AccessToken.AccessToken): ReadonlyArray<string> => [
  Redacted.value(token.accessToken),
  Redacted.value(token.refreshToken)
]

/** An `AuthError` whose server text (`msg`, the description, the cause) holds none of `secrets`. @internal */
export const scrubAuthError = <E extends AuthError.AuthError>(error: E, secrets: ReadonlyArray<string>): E => {
  if (error._tag === "InvalidKey") {
    return new AuthError.InvalidKey({ code: scrub(error.code, secrets), msg: scrub(error.msg, secrets) }) as E
  }
  return new AuthError.SystemError({
    reason: error.reason,
    traceId: error.traceId,
    code: Option.map(error.code, (code) => scrub(code, secrets)),
    msg: Option.map(error.msg, (msg) => scrub(msg, secrets)),
    status: error.status,
    description: scrub(error.description, secrets),
    ...(error.cause === undefined ? {} : { cause: scrubCause(error.cause, secrets) })
  }) as E
}

const scrubCause = (cause: unknown, secrets: ReadonlyArray<string>): unknown => {
  if (!(cause instanceof Error)) return cause
  const copy = new Error(scrub(cause.message, secrets))
  copy.name = cause.name
  if (typeof cause.stack === "string") copy.stack = scrub(cause.stack, secrets)
  if (cause.cause !== undefined) Object.defineProperty(copy, "cause", { value: scrubCause(cause.cause, secrets) })
  const code = (cause as { code?: unknown }).code
  if (typeof code === "string") (copy as { code?: string }).code = code
  return copy
}

// what a business response was sent with, for the decoding helpers that describe it later
const responseSecrets = new WeakMap<object, ReadonlyArray<string>>()

/** Remembers the secrets a response's request carried. @internal */
export const remember = <A extends object>(response: A, secrets: ReadonlyArray<string>): A => {
  responseSecrets.set(response, secrets)
  return response
}

/** The secrets a response's request carried, when the library sent it. @internal */
export const of = (response: object): ReadonlyArray<string> => responseSecrets.get(response) ?? []
