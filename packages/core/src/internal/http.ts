/**
 * Edge helpers shared by every wire protocol: reading a body with a size cap, and turning platform
 * errors into causes that are safe to keep (a request can carry `appSecurity` in its body and a
 * token in its URL, so neither the request nor a body ever travels inside an error).
 *
 * @internal
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
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
): Effect.Effect<string, BodyTooLarge | HttpClientError.ResponseError> =>
  response.stream.pipe(
    Stream.runFoldEffect(
      { chunks: [] as Array<Uint8Array>, size: 0 },
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

/**
 * A copy of an HTTP client error with the method, the path of the URL (no query string) and the
 * reason, and the low-level cause (a socket error) when there is one.
 *
 * @internal
 */
export const safeHttpCause = (error: HttpClientError.HttpClientError, secrets: ReadonlyArray<string> = []): Error => {
  const url = safeUrl(error.request.url)
  const description = error.description ?? error.reason
  const safe = new Error(scrub(`${error._tag} ${error.reason}: ${description} (${error.request.method} ${url})`, secrets))
  safe.name = `HttpClientError.${error._tag}`
  const inner = error.cause
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
