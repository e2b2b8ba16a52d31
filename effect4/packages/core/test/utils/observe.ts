import { Cause, Effect, Inspectable, Logger, References, Tracer } from "effect"
import { inspect } from "node:util"

export interface RecordedSpan {
  readonly name: string
  readonly attributes: ReadonlyMap<string, unknown>
  readonly span: Tracer.Span
}

export interface RecordedLog {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
  readonly text: string
}

/**
 * Runs `effect` with every span and every log line (at all levels) recorded.
 */
export const observe = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const spans: Array<RecordedSpan> = []
    const logs: Array<RecordedLog> = []
    const native = yield* Effect.tracer
    const tracer = Tracer.make({
      span: (...args) => {
        const span = native.span(...args)
        spans.push({ name: span.name, attributes: span.attributes, span })
        return span
      },
      context: native.context
    })
    const logger = Logger.make<unknown, void>(({ cause, fiber, logLevel, message }) => {
      const annotationsRecord: Record<string, unknown> = { ...fiber.getRef(References.CurrentLogAnnotations) }
      const messages = Array.isArray(message) ? message : [message]
      const messageText = messages.map((m) => typeof m === "string" ? m : Inspectable.toStringUnknown(m)).join(" ")
      const text = [
        logLevel,
        messageText,
        Inspectable.toStringUnknown(annotationsRecord),
        cause.reasons.length === 0 ? "" : Cause.pretty(cause),
        fiber.getRef(References.CurrentLogSpans).map(([label]) => label).join(",")
      ].join(" ")
      logs.push({ level: logLevel, message: messageText, annotations: annotationsRecord, text })
    })
    const result = yield* effect.pipe(
      Effect.withTracer(tracer),
      Effect.provide(Logger.layer([logger])),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
    return { result, spans, logs }
  })

/** Everything a span carries, as text. */
export const spanText = (span: RecordedSpan): string =>
  `${span.name} ${JSON.stringify(Object.fromEntries(span.attributes), (_, v) => typeof v === "bigint" ? String(v) : v)} ${
    span.span.status._tag === "Ended" && span.span.status.exit._tag === "Failure" ? Cause.pretty(span.span.status.exit.cause) : ""
  }`

/** Every way a value can be shown: as a string, as JSON, inspected, as an Error, and in a Cause. */
export const renderings = (value: unknown): Array<string> => [
  String(value),
  JSON.stringify(value) ?? "",
  inspect(value, { depth: 20, showHidden: true }),
  value instanceof Error ? `${value.message} ${value.stack ?? ""}` : "",
  Cause.pretty(Cause.fail(value))
]
