#!/usr/bin/env node
/**
 * The `hosecloud` executable.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Cli from "./Cli.js"
import * as CliIO from "./CliIO.js"
import { colourFor, withColourWhereWanted } from "./internal/plainConsole.js"

const colour = { stdout: colourFor(process.stdout, process.env), stderr: colourFor(process.stderr, process.env) }

// standard output is the answer (a token, JSON, a check's result): the library's log lines, when
// HOSECLOUD_LOG_LEVEL asks for them, go to standard error
const logToStderr = Layer.mergeAll(
  Logger.layer([Logger.consolePretty({ colors: colour.stderr })]),
  Layer.succeed(Logger.LogToStderr, true)
)

Cli.main(process.argv).pipe(
  (main) => withColourWhereWanted(main, colour),
  Effect.provide(Layer.mergeAll(NodeServices.layer, FetchHttpClient.layer, CliIO.layerNode, logToStderr)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit) ? (typeof exit.value === "number" ? exit.value : 0) : Cause.hasInterruptsOnly(exit.cause) ? 0 : 1
      )
  })
)
