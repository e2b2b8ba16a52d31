// What an OpenTelemetry backend receives, through @effect/opentelemetry's NodeSdk with in-memory exporters
// (made inside the test: a shared exporter would carry one test's spans into the next). Checked before the
// SDK's layer shuts down: the spans (names, kinds, parents, attributes), the metrics, and no secret anywhere.
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as HttpClient from "effect/http/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Redacted, References, Schedule } from "effect"
import { demoKey, demoSecret } from "./utils/setup.js"

const telemetry = () => {
  const spans = new InMemorySpanExporter()
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 3_600_000 })
  const layer = NodeSdk.layer(() => ({
    resource: { serviceName: "effect-hosecloud-test" },
    spanProcessor: new SimpleSpanProcessor(spans),
    metricReader: reader
  }))
  const metricPoints = Effect.promise(async () => {
    await reader.forceFlush()
    const points = new Map<string, Array<{ attributes: Record<string, unknown>; value: unknown }>>()
    for (const resourceMetrics of metrics.getMetrics()) {
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          points.set(metric.descriptor.name, metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })))
        }
      }
    }
    return points
  })
  return { layer, spans, metricPoints }
}

const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

describe("OpenTelemetry", () => {
  it.live("a token request, a refresh, a failure with a traceId and a business call: spans, metrics, no secret", () => {
    const otel = telemetry()
    return Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.make()
      const http = HosecloudSimulator.clientFor(sim.app)
      const auth = yield* HosecloudAuth.make({ appKey: demoKey, appSecurity: Redacted.make(demoSecret), waitRetry: Schedule.recurs(0) })
        .pipe(Effect.provideService(HttpClient.HttpClient, http))
      const client = yield* HosecloudClient.make().pipe(
        Effect.provideService(HosecloudAuth.HosecloudAuth, auth),
        Effect.provideService(HttpClient.HttpClient, http)
      )
      yield* auth.token.pipe(Effect.withSpan("caller"))
      yield* auth.refresh
      yield* sim.script("token", HosecloudSimulator.Fault.systemError("0123456789abcdef0123456789abcdef"))
      yield* Effect.flip(auth.refresh)
      yield* client.get("/api/openapi/v1/corporations").pipe(Effect.withSpan("business caller"))

      const spans = otel.spans.getFinishedSpans()
      const requests = named(spans, "HosecloudAuth.request")
      assert.strictEqual(requests.length, 3)
      // kind 2 is CLIENT; the first request is a child of the caller that started it
      assert.isTrue(requests.every((s) => s.kind === 2))
      const caller = named(spans, "caller")[0]
      assert.strictEqual(parentOf(requests[0]), caller.spanContext().spanId)
      assert.deepStrictEqual(requests.map((s) => s.attributes["hosecloud.outcome"]), ["success", "success", "SystemError"])
      assert.strictEqual(requests[0].attributes["hosecloud.corp_id"], "DEMOcorp00001")
      assert.strictEqual(requests[0].attributes["hosecloud.protocol"], "v3")
      assert.strictEqual(requests[0].attributes["server.address"], "open.hosecloud.com")
      assert.strictEqual(requests[1].attributes["hosecloud.refresh"], true)
      assert.strictEqual(requests[2].attributes["hosecloud.trace_id"], "0123456789abcdef0123456789abcdef")
      assert.strictEqual(requests[2].attributes["error.type"], "SystemError.Upstream")
      assert.strictEqual(requests[2].status.code, 2, "an error status")

      // the HTTP request under each token request is the platform's own client span
      const posts = named(spans, "POST")
      assert.strictEqual(posts.length, 3)
      assert.strictEqual(parentOf(posts[0]), requests[0].spanContext().spanId)

      // the business call: one client span, under its caller, with the token's place redacted
      const gets = named(spans, "GET")
      assert.strictEqual(gets.length, 1)
      const get = gets[0]
      assert.strictEqual(get.kind, 2)
      assert.strictEqual(parentOf(get), named(spans, "business caller")[0].spanContext().spanId)
      assert.strictEqual(get.attributes["http.request.method"], "GET")
      assert.strictEqual(get.attributes["server.address"], "app.ekuaibao.com")
      assert.strictEqual(get.attributes["url.full"], "https://app.ekuaibao.com/api/openapi/v1/corporations?accessToken=%3Credacted%3E")
      assert.strictEqual(get.attributes["http.response.status_code"], 200)

      const points = yield* otel.metricPoints
      const requestCount = points.get("hosecloud_token_requests_total")?.find((p) => p.attributes["hosecloud.protocol"] === "v3")
      assert.strictEqual(requestCount?.value, 3)
      const failures = points.get("hosecloud_token_failures_total")?.filter((p) => p.value !== 0)
      assert.deepStrictEqual(failures?.map((p) => [p.attributes["tag"], p.value]), [["SystemError", 1]])
      assert.strictEqual(points.get("hosecloud_token_refreshes_total")?.[0]?.value, 1)
      const expiry = Number(points.get("hosecloud_token_seconds_to_expiry")?.[0]?.value)
      assert.isTrue(expiry > 0 && expiry <= 7200, `seconds to expiry: ${expiry}`)

      // no secret in any attribute, event or URL of any span
      const secrets = [demoSecret, ...(yield* sim.issued).flatMap((t) => [t.accessToken, t.refreshToken])]
      const exported = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })))
      for (const secret of secrets) assert.notInclude(exported, secret)
    }).pipe(Effect.scoped, Effect.provide(otel.layer), Effect.provideService(References.MinimumLogLevel, "None"))
  })
})

