/**
 * Errors of the business APIs. Hosecloud reports them as an HTTP status and a message text (and, for
 * some endpoints, an envelope code), so that is what these carry.
 *
 * @since 0.1.0
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * A business API answered with an error, or with a body of an unexpected shape.
 *
 * - `Status`: a non-2xx HTTP status
 * - `Code`: HTTP 2xx, but a `{ code, msg, data }` envelope with an error code
 * - `Decode`: the body was not of the expected shape
 * - `Forbidden`: HTTP 403 for a missing permission (a message without `未授权`); the token was kept
 *
 * @since 0.1.0
 * @category errors
 */
export class ApiError extends Schema.TaggedError<ApiError>("@effect-hosecloud/core/ApiError")("ApiError", {
  reason: Schema.Literals(["Status", "Code", "Decode", "Forbidden"]),
  status: Schema.Number,
  /** The server's message (`errorMessage`, `message` or `msg` of the body), or a description. */
  text: Schema.String,
  code: Schema.Option(Schema.String),
  traceId: Schema.Option(Schema.String),
  method: Schema.String,
  /** The request's URL without its query string. */
  url: Schema.String
}) {
  override get message(): string {
    const code = Option.match(this.code, { onNone: () => "", onSome: (c) => `, code ${c}` })
    const trace = Option.match(this.traceId, { onNone: () => "", onSome: (t) => `, traceId ${t}` })
    return `Hosecloud API ${this.reason} error: HTTP ${this.status}${code}: ${this.text} (${this.method} ${this.url})${trace}`
  }
}

/**
 * A business API refused the token twice in a row (HTTP 403 `未授权`), once with the cached token and
 * once with a fresh one. Retrying again would not help: check the app's permissions for this API.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@effect-hosecloud/core/Unauthorized")(
  "Unauthorized",
  {
    status: Schema.Number,
    text: Schema.String,
    method: Schema.String,
    /** The request's URL without its query string. */
    url: Schema.String
  }
) {
  override get message(): string {
    return `Hosecloud refused a fresh token too: HTTP ${this.status} ${this.text} (${this.method} ${this.url})`
  }
}

/**
 * A request through `HosecloudClient` would have sent the token to an origin that is not the business
 * host or one of `allowedOrigins` (by an absolute URL, or by a redirect), or over plain `http:` to a host
 * that is not loopback. Nothing was sent there.
 *
 * @since 0.2.0
 * @category errors
 */
export class ForeignOrigin extends Schema.TaggedError<ForeignOrigin>("@effect-hosecloud/core/ForeignOrigin")(
  "ForeignOrigin",
  {
    method: Schema.String,
    /** The request's URL, without its query string. */
    url: Schema.String,
    /** The origin the token would have gone to. */
    origin: Schema.String,
    via: Schema.Literals(["url", "redirect"])
  }
) {
  override get message(): string {
    return `the token was not sent to ${this.origin} (${
      this.via === "url" ? "the request's URL" : "a redirect"
    } of ${this.method} ${this.url}): only the business host and allowedOrigins receive it, over https:`
  }
}
