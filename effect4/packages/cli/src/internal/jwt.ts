/**
 * Reads a JWT's header and claims. Nothing is verified: this is for people looking at a token.
 *
 * @internal
 */
import * as Result from "effect/Result"

/** @internal */
export interface Decoded {
  readonly header: Record<string, unknown>
  readonly claims: Record<string, unknown>
}

const part = (segment: string, name: string): Result.Result<Record<string, unknown>, string> =>
  Result.try({
    try: () => JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as unknown,
    catch: () => `not a JWT: its ${name} is not base64url-encoded JSON`
  }).pipe(
    Result.flatMap((value) =>
      typeof value === "object" && value !== null && !Array.isArray(value)
        ? Result.succeed(value as Record<string, unknown>)
        : Result.fail(`not a JWT: its ${name} is not a JSON object`)
    )
  )

/** @internal */
export const decode = (token: string): Result.Result<Decoded, string> => {
  const segments = token.split(".")
  if (segments.length !== 3 || segments.some((s) => !/^[A-Za-z0-9_-]*$/.test(s)) || segments[0] === "") {
    return Result.fail("not a JWT: expected three base64url parts separated by dots")
  }
  return Result.all({ header: part(segments[0], "header"), claims: part(segments[1], "payload") })
}
