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
import * as LogLevel from "effect/LogLevel"
import * as Cli from "./Cli.js"
import * as CliIO from "./CliIO.js"
import { colourFor, withColourWhereWanted } from "./internal/plainConsole.js"

// the commands print what a person needs; the library's own log lines only on request
const logLevel = LogLevel.allLevels.find((level) => level.label === process.env["HOSECLOUD_LOG_LEVEL"]?.toUpperCase()) ??
  LogLevel.None

Cli.main(process.argv).pipe(
  (main) =>
    withColourWhereWanted(main, {
      stdout: colourFor(process.stdout, process.env),
      stderr: colourFor(process.stderr, process.env)
    }),
  Effect.provide(Layer.mergeAll(NodeContext.layer, FetchHttpClient.layer, CliIO.layerNode)),
  Logger.withMinimumLogLevel(logLevel),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit) ? (typeof exit.value === "number" ? exit.value : 0) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1
      )
  })
)
