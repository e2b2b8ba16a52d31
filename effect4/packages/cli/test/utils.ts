import { Cli, CliIO } from "@effect-hosecloud/cli"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import * as HttpClient from "effect/http/HttpClient"

export interface Captured {
  readonly code: number
  readonly out: Array<string>
  readonly err: Array<string>
  readonly prompts: Array<{ question: string; hidden: boolean }>
}

/** Runs the command line in this process with the given environment, answers and HTTP client. */
export const runCli = (
  args: ReadonlyArray<string>,
  options: {
    readonly env?: Record<string, string>
    readonly answers?: ReadonlyArray<string>
    readonly stdin?: string
    readonly http: HttpClient.HttpClient
  }
) =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const err: Array<string> = []
    const prompts: Array<{ question: string; hidden: boolean }> = []
    const answers = [...(options.answers ?? [])]
    const io: CliIO.Service = {
      out: (line) => Effect.sync(() => void out.push(line)),
      err: (line) => Effect.sync(() => void err.push(line)),
      prompt: (question, o) =>
        Effect.sync(() => {
          prompts.push({ question, hidden: o?.hidden === true })
          return Option.fromNullishOr(answers.shift())
        }),
      readAll: Effect.succeed(Option.fromNullishOr(options.stdin))
    }
    const code = yield* Cli.main(["node", "hosecloud", ...args]).pipe(
      Effect.provide(
        Layer.mergeAll(
          NodeServices.layer,
          Layer.succeed(HttpClient.HttpClient, options.http),
          Layer.succeed(CliIO.CliIO, io)
        )
      ),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env: options.env ?? {} }))
    )
    return { code, out, err, prompts } satisfies Captured
  })
