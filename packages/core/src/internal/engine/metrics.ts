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

// A tagged metric is a new key (tags hashed, the registry looked up) each time it is made: the requests
// counter of each protocol is made once, not once per flight.
const requestsByProtocol = new Map<string, Metric.Metric.Counter<number>>()

/** `requests`, tagged with the protocol's name. @internal */
export const requestsOf = (protocol: string): Metric.Metric.Counter<number> => {
  let counter = requestsByProtocol.get(protocol)
  if (counter === undefined) {
    counter = Metric.tagged(requests, "hosecloud.protocol", protocol)
    // protocol names are a handful of constants; a program making them up as it goes is not held to it
    if (requestsByProtocol.size < 64) requestsByProtocol.set(protocol, counter)
  }
  return counter
}
