// Spans and metrics to an OpenTelemetry collector over OTLP/HTTP (JSON), at OTEL_EXPORTER_OTLP_ENDPOINT
// (default http://localhost:4318), through Effect 4's own OTLP exporter (effect/observability: what was
// @effect/opentelemetry/Otlp on Effect 3). A token request is the span HosecloudAuth.request, a business
// call the span GET; the counters are hosecloud_token_requests_total and its siblings.
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import { HosecloudClient } from "@effect-hosecloud/core"
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Console, Effect, Layer } from "effect"
import { Otlp } from "effect/observability"

const Observability = Layer.unwrap(
  Effect.map(
    Config.String("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(Config.withDefault("http://localhost:4318")),
    (baseUrl) => Otlp.layerJson({ baseUrl, resource: { serviceName: "hosecloud-example" } })
  )
).pipe(Layer.provide(NodeHttpClient.layerUndici))

const main = Effect.gen(function*() {
  const client = yield* HosecloudClient.HosecloudClient
  const response = yield* client.get("/api/openapi/v1/corporations")
  yield* Console.log(`corporations answered HTTP ${response.status}; the spans and metrics go to the collector`)
}).pipe(Effect.withSpan("example"))

main.pipe(
  Effect.provide(NodeHosecloud.layerConfig()),
  Effect.provide(Observability),
  Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Console.error(String(Cause.squash(cause)))),
  NodeRuntime.runMain({ disableErrorReporting: true }) // a failure: the line above, and exit code 1
)
