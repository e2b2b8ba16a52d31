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

// a metric with attributes is a new key (attributes hashed, the registry looked up) each time it is made:
// the requests counter of each protocol is made once, not once per flight
const requestsByProtocol = new Map<string, typeof requests>()

/** `requests`, with the protocol's name as an attribute. @internal */
export const requestsOf = (protocol: string): typeof requests => {
  let counter = requestsByProtocol.get(protocol)
  if (counter === undefined) {
    counter = Metric.withAttributes(requests, { "hosecloud.protocol": protocol })
    // protocol names are a handful of constants; a program making them up as it goes is not held to it
    if (requestsByProtocol.size < 64) requestsByProtocol.set(protocol, counter)
  }
  return counter
}
