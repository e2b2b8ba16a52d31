/**
 * `effect/cli` writes its help and usage errors in colour. Colour belongs on a terminal only: not in a
 * pipe or a file, and not when `NO_COLOR` is set (https://no-color.org). This console removes the escape
 * codes from what goes to a stream that should have none.
 *
 * @internal
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

// SGR sequences (colours, bold) and the other CSI sequences a help screen can hold
const ansi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[ -/]*[@-~]`, "g")

/** @internal */
export const stripAnsi = (text: string): string => text.replace(ansi, "")

const plain = (args: ReadonlyArray<unknown>) => args.map((arg) => (typeof arg === "string" ? stripAnsi(arg) : arg))

/** Whether a stream should get colour: a terminal, and no `NO_COLOR`. @internal */
export const colourFor = (stream: { readonly isTTY?: boolean | undefined }, env: NodeJS.ProcessEnv): boolean =>
  stream.isTTY === true && (env["NO_COLOR"] === undefined || env["NO_COLOR"] === "")

/** Runs `effect` with colour removed from standard output and error where they should have none. @internal */
export const withColourWhereWanted = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  colour: { readonly stdout: boolean; readonly stderr: boolean }
): Effect.Effect<A, E, R> =>
  colour.stdout && colour.stderr ? effect : Console.consoleWith((console) =>
    Effect.provideService(effect, Console.Console, {
      ...console,
      log: (...args) => console.log(...(colour.stdout ? args : plain(args))),
      info: (...args) => console.info(...(colour.stdout ? args : plain(args))),
      error: (...args) => console.error(...(colour.stderr ? args : plain(args))),
      warn: (...args) => console.warn(...(colour.stderr ? args : plain(args)))
    }))
