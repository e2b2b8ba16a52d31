/**
 * The `hosecloud` command line: `token`, `check`, `decode`, `watch`, `simulator` and `demo`.
 *
 * Credentials come from `HOSECLOUD_APP_KEY` / `HOSECLOUD_APP_SECURITY` / `HOSECLOUD_AUTH_URL`, or from a
 * prompt that hides the secret, never from a flag (whose value would sit in shell history and `ps`).
 * Every failure is one line on stderr and an exit code.
 *
 * @since 0.1.0
 */
import { type AccessToken, type AuthError, HosecloudAuth, TokenProtocol, Validation } from "@effect-hosecloud/core"
import * as Argument from "effect/cli/Argument"
import * as CliError from "effect/cli/CliError"
import * as CliOutput from "effect/cli/CliOutput"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as Data from "effect/Data"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import type * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as References from "effect/References"
import * as Result from "effect/Result"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { createRequire } from "node:module"
import { CliIO } from "./CliIO.js"
import * as Jwt from "./internal/jwt.js"

/**
 * The exit codes.
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode = {
  ok: 0,
  /** Bad arguments, input or configuration. */
  usage: 1,
  /** Hosecloud refused the credentials. */
  invalidKey: 2,
  /** Hosecloud failed (the traceId is printed). */
  systemError: 3,
  /** Hosecloud could not be reached, or did not answer in time. */
  network: 4
} as const

/**
 * A failure of a command: its exit code and the one line that says what is wrong.
 *
 * @since 0.1.0
 * @category errors
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly code: number; readonly line: string }> {}

interface Credentials {
  readonly appKey: string
  readonly appSecurity: Redacted.Redacted<string>
  readonly authUrl: string
}

/** Asks for what `variable` would have given; no answer (input ended, as with no terminal) names it. */
const ask = (question: string, hidden: boolean, variable: string) =>
  Effect.flatMap(CliIO, (io) => io.prompt(question, { hidden })).pipe(
    Effect.flatMap(Option.match({
      onNone: () =>
        Effect.fail(
          new CliFailure({
            code: ExitCode.usage,
            line: `error: ${variable} is not set, and no answer came to "${question.trim()}" (set ${variable}, or run at a terminal)`
          })
        ),
      onSome: (answer) =>
        answer.trim() === ""
          ? Effect.fail(new CliFailure({ code: ExitCode.usage, line: `error: empty answer to "${question.trim()}" (or set ${variable})` }))
          : Effect.succeed(answer.trim())
    }))
  )

/** The values of `HOSECLOUD_LOG_LEVEL`, and the level each one sets. */
const logLevels: ReadonlyArray<readonly [string, LogLevel.LogLevel]> = [
  ["trace", "Trace"],
  ["debug", "Debug"],
  ["info", "Info"],
  ["warning", "Warn"],
  ["error", "Error"],
  ["fatal", "Fatal"],
  ["none", "None"]
]

/** The environment variables, one line each, for the help. */
const environment = {
  appKey: "  HOSECLOUD_APP_KEY        the appKey (asked for when unset)",
  appSecurity: "  HOSECLOUD_APP_SECURITY   the appSecurity (asked for, without echo, when unset; required with no terminal)",
  authUrl: "  HOSECLOUD_AUTH_URL       the token host (default https://open.hosecloud.com)",
  logLevel: `  HOSECLOUD_LOG_LEVEL      the library's own log lines, on stderr: ${logLevels.map(([name]) => name).join(", ")} (default none)`,
  noColor: "  NO_COLOR                 no colour in help and errors (never any in a pipe or a file)"
}

const environmentHelp = (...lines: ReadonlyArray<string>) => `Environment:\n${lines.join("\n")}\n\n`

/** The environment variables of the commands that need credentials, for their help. */
const credentialsHelp = environmentHelp(
  environment.appKey,
  environment.appSecurity,
  environment.authUrl,
  environment.logLevel,
  environment.noColor
)

/**
 * The level `HOSECLOUD_LOG_LEVEL` asks for (`none` when unset); any other value is a usage error that
 * names the valid ones.
 */
const logLevel: Effect.Effect<LogLevel.LogLevel, CliFailure> = Effect.gen(function*() {
  const wanted = yield* Config.option(Config.String("HOSECLOUD_LOG_LEVEL")).pipe(
    Effect.mapError(() => new CliFailure({ code: ExitCode.usage, line: "error: unreadable HOSECLOUD_LOG_LEVEL" }))
  )
  if (Option.isNone(wanted) || wanted.value.trim() === "") return "None"
  const given = wanted.value.trim().toLowerCase()
  // "warn" is Effect's own label of the level, which this variable took before
  const name = given === "warn" ? "warning" : given
  const found = logLevels.find(([level]) => level === name)
  if (found !== undefined) return found[1]
  return yield* Effect.fail(
    new CliFailure({
      code: ExitCode.usage,
      line: `error: HOSECLOUD_LOG_LEVEL must be one of ${logLevels.map(([level]) => level).join(", ")} (got ${
        JSON.stringify(wanted.value)
      })`
    })
  )
})

/** From the environment, else asked for (the secret without echo). */
const credentials: Effect.Effect<Credentials, CliFailure, CliIO> = Effect.gen(function*() {
  const env = yield* Config.all({
    appKey: Config.option(Config.String("HOSECLOUD_APP_KEY")),
    appSecurity: Config.option(Config.Redacted("HOSECLOUD_APP_SECURITY")),
    authUrl: Config.String("HOSECLOUD_AUTH_URL").pipe(Config.withDefault(TokenProtocol.defaultAuthUrl))
  }).pipe(Effect.mapError(() => new CliFailure({ code: ExitCode.usage, line: "error: unreadable configuration" })))
  const authUrl = yield* Result.match(Validation.checkUrl(env.authUrl), {
    onFailure: (reason) => Effect.fail(new CliFailure({ code: ExitCode.usage, line: `error: HOSECLOUD_AUTH_URL: ${reason}` })),
    onSuccess: Effect.succeed
  })
  const appKey = Option.isSome(env.appKey) && env.appKey.value !== ""
    ? env.appKey.value
    : yield* ask("appKey: ", false, "HOSECLOUD_APP_KEY")
  const appSecurity = Option.isSome(env.appSecurity) && Redacted.value(env.appSecurity.value) !== ""
    ? env.appSecurity.value
    : Redacted.make(yield* ask("appSecurity (hidden): ", true, "HOSECLOUD_APP_SECURITY"))
  return { appKey, appSecurity, authUrl }
})

/**
 * The one line and exit code for an `AuthError`.
 *
 * @since 0.1.0
 * @category errors
 */
export const describeAuthError = (
  error: AuthError.AuthError | AuthError.InvalidOptions,
  authUrl: string
): CliFailure => {
  if (error._tag === "InvalidOptions") {
    return new CliFailure({ code: ExitCode.usage, line: `error: ${error.message}` })
  }
  if (error._tag === "InvalidKey") {
    return new CliFailure({
      code: ExitCode.invalidKey,
      line: `error: Hosecloud refused the credentials (${error.code} ${error.msg}): check HOSECLOUD_APP_KEY and HOSECLOUD_APP_SECURITY`
    })
  }
  if (error.reason === "Transport" || error.reason === "Timeout") {
    // a transport failure names the host and the reason itself; a time-out says how long it waited
    const what = error.reason === "Transport" ? error.description : `no answer from ${authUrl}: ${error.description}`
    return new CliFailure({
      code: ExitCode.network,
      line: `error: ${what}${Option.match(innermostMessage(error.cause), { onNone: () => "", onSome: (m) => ` (${m})` })}`
    })
  }
  const trace = Option.match(error.traceId, {
    onNone: () => "no traceId was sent",
    onSome: (id) => `quote traceId ${id} to Hosecloud support`
  })
  return new CliFailure({ code: ExitCode.systemError, line: `error: ${error.message}; ${trace}` })
}

/** The message of the deepest `Error` in a cause chain: the socket's own words, usually. */
const innermostMessage = (cause: unknown): Option.Option<string> => {
  let found: Option.Option<string> = Option.none()
  for (let current = cause, depth = 0; current instanceof Error && depth < 10; current = current.cause, depth++) {
    found = Option.some(current.message)
  }
  return found
}

/** `HosecloudAuth` on the given credentials, for one command, with no retries a person would wait for. */
const withAuth = <A, E, R>(
  creds: Credentials,
  use: (auth: HosecloudAuth.Service) => Effect.Effect<A, E, R>,
  cacheOptions: HosecloudAuth.CacheOptions = {}
) =>
  Effect.scoped(
    Effect.flatMap(
      HosecloudAuth.make({ ...creds, ...cacheOptions }).pipe(
        Effect.mapError((error) => describeAuthError(error, creds.authUrl))
      ),
      use
    )
  )

const getToken = (creds: Credentials) => (auth: HosecloudAuth.Service) =>
  auth.token.pipe(Effect.mapError((error) => describeAuthError(error, creds.authUrl)))

const secondsLeft = (token: AccessToken.AccessToken, now: number) => Math.floor(token.millisLeft(now) / 1000)

const out = (line: string) => Effect.flatMap(CliIO, (io) => io.out(line))

/**
 * A command with its help: in full (the summary, the environment it reads, examples) for its own `--help`,
 * and the summary alone for the list of commands in the top-level help.
 */
const described = <Name extends string, Input, ContextInput, E, R>(
  command: Command.Command<Name, Input, ContextInput, E, R>,
  summary: string,
  details: string
) =>
  command.pipe(
    Command.withDescription(`${summary}\n\n${details}`),
    Command.withShortDescription(summary)
  )

// ---- token --------------------------------------------------------------------------------------

/** A failure as the one JSON line `--json` promises on stderr, with the same exit code. */
const asJson = (failure: CliFailure): CliFailure => {
  const kind = Object.entries(ExitCode).find(([, code]) => code === failure.code)?.[0] ?? "usage"
  const message = failure.line.replace(/^error: /, "")
  return new CliFailure({ code: failure.code, line: JSON.stringify({ error: { exitCode: failure.code, kind, message } }) })
}

const tokenCommand = Command.make(
  "token",
  {
    json: Flag.Boolean("json").pipe(
      Flag.withDefault(false),
      Flag.withDescription("print corpId, scope, expiry and the token as JSON")
    )
  },
  ({ json }) =>
    Effect.gen(function*() {
      const creds = yield* credentials
      const result = yield* withAuth(creds, getToken(creds))
      const now = yield* Clock.currentTimeMillis
      if (!json) return yield* out(Redacted.value(result.accessToken))
      yield* out(JSON.stringify(
        {
          corpId: result.corpId,
          scope: result.scope,
          expiresAt: DateTime.formatIso(result.expiresAt),
          expiresIn: secondsLeft(result, now),
          accessToken: Redacted.value(result.accessToken)
        },
        null,
        2
      ))
    }).pipe(Effect.mapError((failure) => (json ? asJson(failure) : failure)))
)

const token = described(
  tokenCommand,
  "Print a valid access token and nothing else (log lines, prompts and errors go to stderr).",
  "With --json, an error is JSON on stderr too: {\"error\":{\"exitCode\":2,\"kind\":\"invalidKey\",\"message\":...}}, " +
    "with the same exit code.\n\n" +
    credentialsHelp +
    "Examples:\n" +
    "  curl \"https://app.ekuaibao.com/api/openapi/v1/corporations?accessToken=$(hosecloud token)\"\n" +
    "  hosecloud token --json"
)

// ---- check --------------------------------------------------------------------------------------

const checkCommand = Command.make("check", {}, () =>
  Effect.gen(function*() {
    const creds = yield* credentials
    const result = yield* withAuth(creds, getToken(creds))
    const now = yield* Clock.currentTimeMillis
    yield* out(
      `ok: ${creds.authUrl} accepted appKey ${creds.appKey} for corp ${result.corpId} (${result.scope}); ` +
        `the token is valid until ${DateTime.formatIso(result.expiresAt)} (${secondsLeft(result, now)} s)`
    )
  }))

const check = described(
  checkCommand,
  "Check the credentials and say what is wrong in words.",
  "Exit codes: 0 ok, 2 credentials refused (InvalidKey), 3 Hosecloud failed (SystemError, with its traceId), " +
      "4 network, 1 usage.\n\n" +
      credentialsHelp +
      "Examples:\n" +
      "  HOSECLOUD_APP_KEY=... hosecloud check      (asks for the secret without echoing it)\n" +
      "  hosecloud check && echo credentials ok"
)

// ---- decode -------------------------------------------------------------------------------------

const decodeCommand = Command.make(
  "decode",
  { token: Argument.String("token").pipe(Argument.optional, Argument.withDescription("the token; read from stdin if absent")) },
  ({ token }) =>
    Effect.gen(function*() {
      const io = yield* CliIO
      const text = Option.isSome(token) ? Option.some(token.value) : yield* io.readAll
      if (Option.isNone(text) || text.value.trim() === "") {
        return yield* Effect.fail(
          new CliFailure({ code: ExitCode.usage, line: "error: give a token as the argument or on stdin" })
        )
      }
      const decoded = yield* Result.match(Jwt.decode(text.value.trim()), {
        onFailure: (reason) => Effect.fail(new CliFailure({ code: ExitCode.usage, line: `error: ${reason}` })),
        onSuccess: Effect.succeed
      })
      const now = yield* Clock.currentTimeMillis
      yield* io.out(`header: ${JSON.stringify(decoded.header, null, 2)}`)
      yield* io.out(`claims: ${JSON.stringify(decoded.claims, null, 2)}`)
      const exp = decoded.claims["exp"]
      if (typeof exp === "number") {
        const left = Math.round(exp - now / 1000)
        yield* io.out(
          `expires: ${new Date(exp * 1000).toString()} (${left >= 0 ? `in ${left} s` : `expired ${-left} s ago`})`
        )
      } else {
        yield* io.out("expires: no exp claim")
      }
      yield* io.out("signature: not verified (decode only reads the token; it proves nothing about who issued it)")
    })
)

const decode = described(
  decodeCommand,
  "Show a token's header and claims and its expiry in local time. Does not verify the signature.",
  environmentHelp(environment.noColor) +
    "Examples:\n" +
    "  hosecloud decode eyJ0eXAiOiJKV1Qi...\n" +
    "  hosecloud token | hosecloud decode"
)

// ---- watch --------------------------------------------------------------------------------------

const describeEvent = (event: HosecloudAuth.AuthEvent, now: number): string => {
  const at = (d: DateTime.Utc) => `${DateTime.formatIso(d)} (in ${Math.round((DateTime.toEpochMillis(d) - now) / 1000)} s)`
  switch (event._tag) {
    case "TokenIssued":
      return `new token for corp ${event.token.corpId} (${event.token.scope}), expires ${at(event.token.expiresAt)}`
    case "RefreshScheduled":
      return `refresh scheduled ${at(event.at)}`
    case "RetryScheduled":
      return `retry in ${Math.round(Duration.toMillis(event.delay))} ms after ${event.error.reason} error${
        Option.match(event.error.traceId, { onNone: () => "", onSome: (id) => `, traceId ${id}` })
      }`
    case "RequestFailed":
      return `token request failed: ${event.error.message}`
    case "TokenExpired":
      return `token for corp ${event.token.corpId} expired`
  }
}

/**
 * A token, kept valid for good: whenever the one in hand expires (or none could be had), ask again, every
 * `retryInterval` while Hosecloud fails. The service refreshes in the background meanwhile (its own
 * retries spaced by the same interval: see `watch`); this loop is what brings a token back after an outage
 * that outlasted the old one.
 */
const keepValid = (auth: HosecloudAuth.Service, retryInterval: Duration.Duration) =>
  Effect.gen(function*() {
    const token = yield* auth.token.pipe(
      Effect.retry({ schedule: Schedule.spaced(retryInterval), while: (error) => error._tag === "SystemError" })
    )
    const left = token.millisLeft(yield* Clock.currentTimeMillis)
    yield* Effect.sleep(Duration.millis(Math.max(left, 0)))
  }).pipe(Effect.forever)

const watchCommand = Command.make(
  "watch",
  {
    retryInterval: Flag.Int("retry-interval").pipe(
      Flag.withDefault(5),
      Flag.withDescription("seconds between attempts while Hosecloud fails")
    )
  },
  ({ retryInterval }) =>
    Effect.gen(function*() {
      const creds = yield* credentials
      const io = yield* CliIO
      if (retryInterval < 1) {
        return yield* Effect.fail(new CliFailure({ code: ExitCode.usage, line: "error: --retry-interval must be at least 1" }))
      }
      const interval = Duration.seconds(retryInterval)
      // one request per attempt, attempts spaced by the interval: the service's own retries (of a background
      // refresh, or of a wait for a token) are spaced by it too, instead of the default backoff's burst
      yield* withAuth(creds, (auth) =>
        Effect.gen(function*() {
          yield* auth.events.pipe(
            Stream.runForEach((event) =>
              Effect.flatMap(Clock.currentTimeMillis, (now) =>
                io.out(`${new Date(now).toISOString()} ${describeEvent(event, now)}`))
            ),
            Effect.forkScoped
          )
          yield* Effect.yieldNow
          return yield* keepValid(auth, interval).pipe(
            Effect.mapError((error) => describeAuthError(error, creds.authUrl))
          )
        }), { retry: Schedule.spaced(interval), waitRetry: Schedule.spaced(interval) })
    })
)

const watch = described(
  watchCommand,
  "Keep a token valid, through outages, and print one line per event on stdout (new token, refresh " +
    "scheduled, retry with traceId, failure, expiry). Ctrl-C ends it; exit code 2 if the credentials are refused.",
  "What it sends: one token request (POST HOSECLOUD_AUTH_URL/auth/openApi/v3/getAccessToken, with the appKey " +
    "and appSecurity) for the first token, then one per refresh, 5 minutes before each token expires. While " +
    "Hosecloud fails, one request every --retry-interval seconds (default 5), never a burst. Nothing else.\n\n" +
    credentialsHelp +
    "Example:\n  hosecloud watch --retry-interval 10"
)

// ---- simulator ----------------------------------------------------------------------------------

const simulatorCommand = Command.make(
  "simulator",
  {
    port: Flag.Int("port").pipe(Flag.withDefault(0), Flag.withDescription("the port; 0 picks a free one")),
    lifetime: Flag.Int("token-lifetime").pipe(
      Flag.withDefault(7200),
      Flag.withDescription("token lifetime in seconds")
    )
  },
  ({ lifetime, port }) =>
    // loaded when this command runs: the HTTP server is not needed by any other, nor by --help
    Effect.promise(() =>
      Promise.all([import("@effect-hosecloud/adapters/NodeSimulator"), import("@effect-hosecloud/core/testing")])
    ).pipe(Effect.flatMap(([NodeSimulator, { HosecloudSimulator }]) =>
    Layer.launch(
      Layer.effectDiscard(Effect.gen(function*() {
        const { url } = yield* NodeSimulator.SimulatorAddress
        const [demo] = HosecloudSimulator.demoCredentials
        yield* out(`Hosecloud simulator listening on ${url} (Ctrl-C stops it)`)
        yield* out("It is both the token host and the business host. In another terminal:")
        yield* out(`  export HOSECLOUD_AUTH_URL=${url}`)
        yield* out(`  export HOSECLOUD_API_URL=${url}`)
        yield* out(`  export HOSECLOUD_APP_KEY=${demo.appKey}`)
        yield* out(`  export HOSECLOUD_APP_SECURITY=${demo.appSecurity}`)
        yield* out("  hosecloud token")
      })).pipe(Layer.provide(NodeSimulator.layer({ port, tokenLifetime: `${lifetime} seconds` })))
    ))).pipe(
      Effect.catchTags({
        ServeError: (error) =>
          Effect.fail(new CliFailure({ code: ExitCode.usage, line: `error: cannot listen on port ${port}: ${String(error.cause)}` })),
        InvalidOptions: (error) => Effect.fail(new CliFailure({ code: ExitCode.usage, line: `error: ${error.message}` }))
      })
    )
)

const simulator = described(
  simulatorCommand,
  "Serve the Hosecloud simulator on loopback (real HTTP) and print its base URL and demo credentials.",
  environmentHelp(environment.logLevel, environment.noColor) +
    "Examples:\n  hosecloud simulator --port 8787\n  hosecloud simulator --token-lifetime 10"
)

// ---- demo ---------------------------------------------------------------------------------------

const demoCommand = Command.make("demo", {}, () =>
  // loaded when this command runs, with the simulator it serves
  Effect.promise(() => import("./Demo.js")).pipe(
    Effect.flatMap((Demo) => Demo.run),
    Effect.mapError((error) =>
      new CliFailure({
        code: ExitCode.usage,
        line: `error: ${error._tag === "ClaimFailed" ? error.message : `cannot serve the simulator: ${String(error.cause)}`}`
      })
    )
  ))

const demo = described(
  demoCommand,
  "Show, step by step, what the library does, on a simulator: no Hosecloud account needed.",
  "It reads no credentials: the simulator's demo ones are used.\n\n" +
    environmentHelp(environment.logLevel, environment.noColor) +
    "Example:\n  hosecloud demo"
)

/** The top-level description: what the command line is, and every environment variable, once. */
const overviewHelp = "Hosecloud (合思) Open API access tokens from the command line. Standard output is the answer " +
  "(a token, JSON, a check's result); prompts, log lines and errors go to standard error.\n\n" +
  environmentHelp(...Object.values(environment)) +
  "Exit codes: 0 ok, 1 usage, 2 credentials refused (InvalidKey) or no command given, 3 Hosecloud failed " +
  "(SystemError), 4 network. Each command's --help says what it reads and shows examples."

/**
 * The whole command.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("hosecloud").pipe(
  Command.withDescription(overviewHelp),
  Command.withSubcommands([token, check, decode, watch, simulator, demo])
)

// the package's own version, from the package.json beside src/ and dist/
const { version } = createRequire(import.meta.url)("../package.json") as { readonly version: string }

/** What the command line prints to stdout (the help, here) goes to stderr instead. */
const helpOnStderr = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Console.consoleWith((console) =>
    Effect.provideService(
      effect,
      Console.Console,
      Object.assign(Object.create(console), { log: (...args: ReadonlyArray<unknown>) => console.error(...args) })
    )
  )

/**
 * Standard output is for the answer alone: `--version` prints the version by itself, as a script reading it
 * expects, and a `--help` asked for prints the help there; a usage error (an unknown flag or command, a bad
 * value) and the help shown for it go to stderr, as `effect/cli` would render them.
 */
const answerOnStdout: CliOutput.Presenter = {
  present: (event) => {
    switch (event._tag) {
      case "Version":
        return Console.log(event.version)
      case "Help":
        return event.reason === "Requested"
          ? CliOutput.defaultPresenter.present(event)
          : helpOnStderr(CliOutput.defaultPresenter.present(event))
      case "InvalidInvocation":
        return helpOnStderr(CliOutput.defaultPresenter.present(event))
    }
  }
}

/**
 * Runs the command line on `argv` (as `process.argv`) and answers its exit code. Failures are printed as
 * one line on stderr. With no command, the help goes to stderr and the exit code is 2. `HOSECLOUD_LOG_LEVEL`
 * sets the level of the library's own log lines (none by default); an unknown level is a usage error.
 *
 * @since 0.1.0
 * @category commands
 */
export const main = (
  argv: ReadonlyArray<string>
): Effect.Effect<number, never, CliIO | HttpClient.HttpClient | Command.Environment> => {
  const args = argv.slice(2)
  const run = (input: ReadonlyArray<string>) =>
    Command.runWith(command, { version })(input).pipe(Effect.provideService(CliOutput.Presenter, answerOnStdout))
  const program: Effect.Effect<number, unknown, CliIO | HttpClient.HttpClient | Command.Environment> =
    args.length === 0
      ? Effect.as(helpOnStderr(run(["--help"])), ExitCode.invalidKey as number)
      : Effect.as(run(args), ExitCode.ok as number)
  return Effect.flatMap(logLevel, (level) => Effect.provideService(program, References.MinimumLogLevel, level)).pipe(
    Effect.catch((error) => {
      if (error instanceof CliFailure) {
        return Effect.as(Effect.flatMap(CliIO, (io) => io.err(error.line)), error.code)
      }
      // a help asked for is not a failure; effect/cli has printed it, or the usage error, already
      return Effect.succeed(
        CliError.isCliError(error) && error._tag === "ShowHelp" && error.errors.length === 0 ? ExitCode.ok : ExitCode.usage
      )
    }),
    Effect.catchDefect((defect) =>
      Effect.as(
        Effect.flatMap(CliIO, (io) => io.err(`error: unexpected failure: ${defect instanceof Error ? defect.message : String(defect)}`)),
        ExitCode.usage
      )
    )
  )
}
