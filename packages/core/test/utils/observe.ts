import { Cause, Effect, HashMap, Inspectable, List, Logger, LogLevel, Tracer } from "effect"
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
    const logger = Logger.make<unknown, void>(({ annotations, cause, logLevel, message, spans: logSpans }) => {
      const annotationsRecord = Object.fromEntries(HashMap.toEntries(annotations))
      const text = [
        logLevel.label,
        Inspectable.toStringUnknown(message),
        Inspectable.toStringUnknown(annotationsRecord),
        Cause.isEmpty(cause) ? "" : Cause.pretty(cause, { renderErrorCause: true }),
        List.toArray(logSpans).map((s) => s.label).join(",")
      ].join(" ")
      logs.push({ level: logLevel.label, message: Inspectable.toStringUnknown(message), annotations: annotationsRecord, text })
    })
    const result = yield* effect.pipe(
      Effect.withTracer(tracer),
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Logger.withMinimumLogLevel(LogLevel.All)
    )
    return { result, spans, logs }
  })

/** Everything a span carries, as text. */
export const spanText = (span: RecordedSpan): string =>
  `${span.name} ${JSON.stringify(Object.fromEntries(span.attributes), (_, v) => typeof v === "bigint" ? String(v) : v)} ${
    span.span.status._tag === "Ended" ? Cause.pretty(Cause.isCause(span.span.status.exit) ? span.span.status.exit : Cause.empty) : ""
  }`

/** Every way a value can be shown: as a string, as JSON, inspected, as an Error, and in a Cause. */
export const renderings = (value: unknown): Array<string> => [
  String(value),
  JSON.stringify(value) ?? "",
  inspect(value, { depth: 20, showHidden: true }),
  value instanceof Error ? `${value.message} ${value.stack ?? ""}` : "",
  Cause.pretty(Cause.fail(value), { renderErrorCause: true })
]
