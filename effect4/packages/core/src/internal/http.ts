/**
 * Edge helpers shared by every wire protocol: reading a body with a size cap (streamed, or in one buffer for a
 * small answer), and turning platform
 * errors into causes that are safe to keep (a request can carry `appSecurity` in its body and a
 * token in its URL, so neither the request nor a body ever travels inside an error).
 *
 * @internal
 */
import type * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { scrub } from "./secrets.js"

/** @internal */
export class BodyTooLarge {
  readonly _tag = "BodyTooLarge"
  constructor(readonly limit: number) {}
}

/** @internal */
export const readTextCapped = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<string, BodyTooLarge | HttpClientError.HttpClientError> =>
  response.stream.pipe(
    Stream.runFoldEffect(
      () => ({ chunks: [] as Array<Uint8Array>, size: 0 }),
      (acc, chunk): Effect.Effect<{ chunks: Array<Uint8Array>; size: number }, BodyTooLarge> => {
        const size = acc.size + chunk.byteLength
        if (size > maxBytes) return Effect.fail(new BodyTooLarge(maxBytes))
        acc.chunks.push(chunk)
        return Effect.succeed({ chunks: acc.chunks, size })
      }
    ),
    Effect.map(({ chunks, size }) => {
      const all = new Uint8Array(size)
      let offset = 0
      for (const chunk of chunks) {
        all.set(chunk, offset)
        offset += chunk.byteLength
      }
      return new TextDecoder().decode(all)
    })
  )

const decoder = new TextDecoder()

/**
 * A small answer's body (a token's) read in one buffer: refused unread when its `content-length` says it is
 * larger than `maxBytes`, and refused after reading when it is (an answer sent without a length).
 *
 * @internal
 */
export const readTextWhole = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<string, BodyTooLarge | HttpClientError.HttpClientError> => {
  const declared = response.headers["content-length"]
  if (declared !== undefined && Number(declared) > maxBytes) return Effect.fail(new BodyTooLarge(maxBytes))
  return Effect.flatMap(response.arrayBuffer, (buffer) =>
    buffer.byteLength > maxBytes ? Effect.fail(new BodyTooLarge(maxBytes)) : Effect.succeed(decoder.decode(buffer)))
}

/**
 * A copy of an HTTP client error with the method, the path of the URL (no query string) and the
 * reason, and the low-level cause (a socket error) when there is one.
 *
 * @internal
 */
export const safeHttpCause = (error: HttpClientError.HttpClientError, secrets: ReadonlyArray<string> = []): Error => {
  const url = safeUrl(error.request.url)
  const reason = error.reason
  const description = reason.description ?? reason._tag
  const safe = new Error(scrub(`${error._tag} ${reason._tag}: ${description} (${error.request.method} ${url})`, secrets))
  safe.name = `HttpClientError.${reason._tag}`
  const inner = reason.cause
  if (inner instanceof Error && !hasRequest(inner)) {
    Object.defineProperty(safe, "cause", { value: describeError(inner, secrets), enumerable: false })
  }
  return safe
}

const hasRequest = (u: unknown): boolean => typeof u === "object" && u !== null && "request" in u

const describeError = (error: Error, secrets: ReadonlyArray<string>): Error => {
  const copy = new Error(scrub(error.message, secrets))
  copy.name = error.name
  const code = (error as { code?: unknown }).code
  if (typeof code === "string") (copy as { code?: string }).code = code
  return copy
}

/** A URL without its query string and fragment, which is where tokens travel. @internal */
export const safeUrl = (url: string): string => {
  const cut = url.search(/[?#]/)
  return cut === -1 ? url : url.slice(0, cut)
}

/**
 * A defect as an `Error` that holds no secret: its name, message and stack with every known secret
 * masked, and nothing else of the original (whose fields could hold a request, a body or a token).
 *
 * @internal
 */
export const safeDefect = (defect: unknown, secrets: ReadonlyArray<Redacted.Redacted<string>>): Error => {
  const values = secrets.map((secret) => Redacted.value(secret))
  try {
    const message = defect instanceof Error
      ? String(defect.message)
      : typeof defect === "string"
      ? defect
      : Inspectable.toStringUnknown(defect)
    const safe = new Error(scrub(message, values))
    safe.name = defect instanceof Error ? String(defect.name) : "Defect"
    if (defect instanceof Error && typeof defect.stack === "string") safe.stack = scrub(defect.stack, values)
    return safe
  } catch {
    // a defect whose own getters throw is described by its kind alone
    return new Error("a defect that could not be described")
  }
}

const transportReasons: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/, "the host name could not be resolved (DNS)"],
  [/^ECONNREFUSED$/, "the connection was refused: nothing listens there"],
  [/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/, "the connection was closed by the other side"],
  [/^(ETIMEDOUT|ESOCKETTIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/, "the connection timed out"],
  [/^(EHOSTUNREACH|ENETUNREACH|ENETDOWN)$/, "the host cannot be reached from this network"],
  [/CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED/, "TLS failed: the server's certificate was not accepted, or the handshake broke"]
]

/** An error and the causes under it, a few levels deep (a socket's, a TLS library's). */
const causeChain = function*(error: unknown): Generator<object> {
  let current: unknown = error
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    yield current
    current = (current as { cause?: unknown }).cause
  }
}

/** The first error `code` down the chain. */
const codeOf = (error: unknown): string | undefined => {
  for (const cause of causeChain(error)) {
    const code = (cause as { code?: unknown }).code
    if (typeof code === "string" && code !== "") return code
  }
  return undefined
}

/** Whether a cause down the chain is fetch's refusal of a port on the Fetch standard's block list. */
const isBadPort = (error: unknown): boolean => {
  for (const cause of causeChain(error)) {
    if ((cause as { message?: unknown }).message === "bad port") return true
  }
  return false
}

/**
 * Why a request did not get through, in words a person can act on, with the host it went to (its origin
 * only: never a path, a query or credentials): DNS, refused, closed, timed out, unreachable, TLS, or a
 * port that fetch will not connect to.
 *
 * @internal
 */
export const describeTransport = (error: HttpClientError.HttpClientError): string => {
  const origin = safeOrigin(error.request.url)
  const code = codeOf(error.reason.cause)
  const reason = code !== undefined
    ? `${transportReasons.find(([pattern]) => pattern.test(code))?.[1] ?? "the connection failed"} (${code})`
    : isBadPort(error.reason.cause)
    ? "fetch will not connect to this port: the Fetch standard blocks it (use another port)"
    : "no answer came (the connection failed before an answer)"
  return `the request to ${origin} did not get through: ${reason}`
}

const safeOrigin = (url: string): string => {
  try {
    return new URL(url).origin
  } catch {
    return "the server"
  }
}
