/**
 * The library's metrics (exported as `HosecloudAuth.metrics`).
 *
 * @internal
 */
import * as Metric from "effect/Metric"

/** @internal */
export const requests = Metric.counter("hosecloud_token_requests_total", {
  description: "Token requests sent to Hosecloud",
  incremental: true
})

/** @internal */
export const failures = Metric.counter("hosecloud_token_failures_total", {
  description: "Token requests that failed, by error tag",
  incremental: true
})

/** @internal */
export const refreshes = Metric.counter("hosecloud_token_refreshes_total", {
  description: "Tokens replaced before they expired",
  incremental: true
})

/** @internal */
export const secondsToExpiry = Metric.gauge("hosecloud_token_seconds_to_expiry", {
  description: "Seconds left on the current token when it was last looked at by the refresher"
})
