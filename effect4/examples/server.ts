// A long-lived HTTP server: the Hosecloud layers are built once, when the server starts, and every request
// shares their one cached token (refreshed in the background). PORT is the port (default 3000); the
// HOSECLOUD_* variables are read as by NodeHosecloud.layerConfig().
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import { HosecloudClient } from "@effect-hosecloud/core"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Console, Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { createServer } from "node:http"

const Corporation = Schema.Struct({ id: Schema.String, name: Schema.String })

// a handler that calls Hosecloud: it asks for HosecloudClient, and never builds it
const corporation = Effect.gen(function*() {
  const client = yield* HosecloudClient.HosecloudClient
  const corp = yield* client.get("/api/openapi/v1/corporations").pipe(
    Effect.flatMap(HosecloudClient.schemaValue(Corporation))
  )
  return HttpServerResponse.jsonUnsafe(corp)
}).pipe(
  Effect.catch((error) => Effect.succeed(HttpServerResponse.jsonUnsafe({ error: error._tag, message: error.message }, { status: 502 })))
)

const Routes = HttpRouter.add("GET", "/corporation", corporation)

const Listen = Layer.unwrap(
  Effect.map(Config.Int("PORT").pipe(Config.withDefault(3000)), (port) =>
    NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
)

const Announce = Layer.effectDiscard(HttpServer.addressFormattedWith((address) => Console.log(`listening on ${address}`)))

const Server = Layer.mergeAll(HttpRouter.serve(Routes, { disableLogger: true, disableListenLog: true }), Announce).pipe(
  // built once, for the life of the server: one token, shared by every request
  Layer.provide(NodeHosecloud.layerConfig()),
  Layer.provide(Listen)
)

// runs until Ctrl-C (or SIGTERM), then closes the server and the layers, refresh included
Layer.launch(Server).pipe(
  Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Console.error(String(Cause.squash(cause)))),
  NodeRuntime.runMain({ disableErrorReporting: true }) // a failure: the line above, and exit code 1
)
