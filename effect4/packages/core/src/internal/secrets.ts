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
import * as Encoding from "./encoding.js"

/** @internal */
export const marker = "<redacted>"

const secretParam = /((?:access|refresh)_?Token|appSecurity)(["']?\s*[=:]\s*["']?)[^&\s"',}]+/gi

/** The shortest base64 run cut out of a longer encoding that is still taken for a secret (6 bytes of it). */
const minEmbedded = 8

/**
 * The base64 characters that stand for `secret` alone when it sits `shift` bytes into a longer encoded
 * text (shift 1 or 2): the characters whose six bits all fall inside the secret's bytes.
 */
const embeddedBase64 = (bytes: Uint8Array, shift: number): string => {
  const shifted = new Uint8Array(shift + bytes.length)
  shifted.set(bytes, shift)
  const encoded = Encoding.toBase64(shifted)
  const first = Math.ceil((8 * shift) / 6)
  const last = Math.floor((8 * (shift + bytes.length) - 6) / 6)
  return encoded.slice(first, last + 1)
}

/**
 * Every form a secret can travel in: as it is, URI- and form-encoded, in base64 and base64url (padded
 * or not, on its own or inside a longer encoded text), and in hex (either case). Longest first, so that
 * a longer form is masked whole before a shorter one could cut into it.
 */
const formsOf = (secret: string): ReadonlyArray<string> => {
  const bytes = new TextEncoder().encode(secret)
  const base64 = Encoding.toBase64(bytes)
  const hex = Encoding.toHex(bytes)
  const forms = new Set([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    base64,
    base64.replace(/=+$/, ""),
    Encoding.base64ToUrl(base64),
    hex,
    hex.toUpperCase()
  ])
  for (const shift of [0, 1, 2]) {
    const core = embeddedBase64(bytes, shift)
    if (core.length >= minEmbedded) {
      forms.add(core)
      forms.add(Encoding.base64ToUrl(core))
    }
  }
  return Array.from(forms).sort((a, b) => b.length - a.length)
}

// the forms of the secrets seen lately: a token is scrubbed from many texts over its life
const formCache = new Map<string, ReadonlyArray<string>>()

const cachedForms = (secret: string): ReadonlyArray<string> => {
  let forms = formCache.get(secret)
  if (forms === undefined) {
    if (formCache.size >= 256) formCache.clear()
    forms = formsOf(secret)
    formCache.set(secret, forms)
  }
  return forms
}

/**
 * Masks the given secret values in every form they can travel in (raw, URI-encoded, base64, base64url,
 * hex), and anything that looks like a token or secret parameter, in a text. Only the secret is replaced
 * by `<redacted>`: the rest of the text is kept as it was.
 *
 * @internal
 */
export const scrub = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
  for (const secret of secrets) {
    // a secret of one or two characters would mask half the text; real ones are far longer
    if (secret.length > 2) {
      for (const form of cachedForms(secret)) {
        if (out.includes(form)) out = out.split(form).join(marker)
      }
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

/**
 * A token as a protocol read it, its `corpId` scrubbed of the protocol's secrets and of the token's own
 * (`scope` is one of two words by its schema, and the tokens are `Redacted`).
 *
 * @internal
 */
export const scrubIssued = (
  issued: AccessToken.IssuedToken,
  secrets: ReadonlyArray<Redacted.Redacted<string>>
): AccessToken.IssuedToken => {
  const corpId = scrub(issued.corpId, values([...secrets, issued.accessToken, issued.refreshToken]))
  return corpId === issued.corpId ? issued : { ...issued, corpId }
}

/** An `AuthError` whose server text (`msg`, `traceId`, the description, the cause) holds none of `secrets`. @internal */
export const scrubAuthError = <E extends AuthError.AuthError>(error: E, secrets: ReadonlyArray<string>): E => {
  if (error._tag === "InvalidKey") {
    return new AuthError.InvalidKey({ code: scrub(error.code, secrets), msg: scrub(error.msg, secrets) }) as E
  }
  return new AuthError.SystemError({
    reason: error.reason,
    traceId: Option.map(error.traceId, (traceId) => scrub(traceId, secrets)),
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
