/**
 * What the command line reads and writes, as a service: lines to stdout and stderr, prompts, and all of
 * standard input. The Node implementation hides what is typed at a secret prompt, and reads the answer
 * from piped input when standard input is not a terminal.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { createInterface, type Interface } from "node:readline"

/**
 * What the commands read and write.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly out: (line: string) => Effect.Effect<void>
  readonly err: (line: string) => Effect.Effect<void>
  /** Asks for one line; `hidden` keeps it off the screen. `None` when input has ended. */
  readonly prompt: (question: string, options?: { readonly hidden?: boolean }) => Effect.Effect<Option.Option<string>>
  /** All of standard input, when it is not a terminal. */
  readonly readAll: Effect.Effect<Option.Option<string>>
}

/**
 * The tag of the command line's terminal.
 *
 * @since 0.1.0
 * @category tags
 */
export class CliIO extends Context.Service<CliIO, Service>()("@effect-hosecloud/cli/CliIO") {}

const writeLine = (stream: NodeJS.WriteStream) => (line: string) => Effect.sync(() => void stream.write(`${line}\n`))

/**
 * Reads a line on a raw-mode terminal without echoing it. The terminal stops echoing before the question
 * is shown, so that nothing typed the moment it appears is echoed.
 */
const hiddenLine = (stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream, question: string) =>
  Effect.callback<Option.Option<string>>((resume) => {
    let answer = ""
    const done = (value: Option.Option<string>) => {
      stdin.removeListener("data", onData)
      stdin.setRawMode(false)
      stdin.pause()
      stderr.write("\n")
      resume(Effect.succeed(value))
    }
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") return done(Option.some(answer))
        if (char === "\u0003" || char === "\u0004") return done(Option.none())
        if (char === "\u007f" || char === "\b") answer = answer.slice(0, -1)
        else answer += char
      }
    }
    stdin.setRawMode(true)
    stdin.resume()
    stdin.on("data", onData)
    stderr.write(question)
    return Effect.sync(() => {
      stdin.removeListener("data", onData)
      stdin.setRawMode(false)
      stdin.pause()
    })
  })

/**
 * The process's terminal.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerNode: Layer.Layer<CliIO> = Layer.sync(CliIO, () => {
  const { stderr, stdin, stdout } = process
  // piped input is read line by line through one reader, shared by every prompt
  let reader: Interface | undefined
  let lines: AsyncIterator<string> | undefined
  const nextPipedLine = Effect.promise(async () => {
    reader ??= createInterface({ input: stdin, terminal: false })
    lines ??= reader[Symbol.asyncIterator]()
    const next = await lines.next()
    return next.done === true ? Option.none<string>() : Option.some(next.value)
  })
  return {
    out: writeLine(stdout),
    err: writeLine(stderr),
    prompt: (question, options) => {
      const ask = Effect.sync(() => void stderr.write(question))
      if (!stdin.isTTY) return Effect.andThen(ask, Effect.tap(nextPipedLine, () => Effect.sync(() => void stderr.write("\n"))))
      if (options?.hidden === true) return hiddenLine(stdin, stderr, question)
      return Effect.andThen(
        ask,
        Effect.promise(() =>
          new Promise<Option.Option<string>>((resolve) => {
            const rl = createInterface({ input: stdin, output: stderr, terminal: true })
            rl.once("line", (line) => {
              // answered before closing: closing emits "close" at once, which would answer "no answer"
              resolve(Option.some(line))
              rl.close()
            })
            rl.once("close", () => resolve(Option.none()))
          })
        )
      )
    },
    readAll: stdin.isTTY ? Effect.succeedNone : Effect.promise(async () => {
      const chunks: Array<Buffer> = []
      for await (const chunk of stdin) chunks.push(chunk as Buffer)
      return Option.some(Buffer.concat(chunks).toString("utf8"))
    })
  }
})
