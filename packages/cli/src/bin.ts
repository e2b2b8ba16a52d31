#!/usr/bin/env node
/**
 * The `hosecloud` executable.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Cli from "./Cli.js"
import * as CliIO from "./CliIO.js"
import { colourFor, withColourWhereWanted } from "./internal/plainConsole.js"

const colour = { stdout: colourFor(process.stdout, process.env), stderr: colourFor(process.stderr, process.env) }

// standard output is the answer (a token, JSON, a check's result): the library's log lines, when
// HOSECLOUD_LOG_LEVEL asks for them, go to standard error
const logToStderr = Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true, colors: colour.stderr }))

Cli.main(process.argv).pipe(
  (main) => withColourWhereWanted(main, colour),
  Effect.provide(Layer.mergeAll(NodeContext.layer, FetchHttpClient.layer, CliIO.layerNode, logToStderr)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    // the logger above, not runMain's (which writes to stdout)
    disablePrettyLogger: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit) ? (typeof exit.value === "number" ? exit.value : 0) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1
      )
  })
)
