// A long-lived HTTP server: the Hosecloud layers are built once, when the server starts, and every request
// shares their one cached token (refreshed in the background). PORT is the port (default 3000); the
// HOSECLOUD_* variables are read as by NodeHosecloud.layerConfig().
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import { HosecloudClient } from "@effect-hosecloud/core"
import { HttpRouter, HttpServer, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Cause, Config, Console, Effect, Layer, Schema } from "effect"
import { createServer } from "node:http"

const Corporation = Schema.Struct({ id: Schema.String, name: Schema.String })

// a handler that calls Hosecloud: it asks for HosecloudClient, and never builds it
const corporation = Effect.gen(function*() {
  const client = yield* HosecloudClient.HosecloudClient
  const corp = yield* client.get("/api/openapi/v1/corporations").pipe(
    Effect.flatMap(HosecloudClient.schemaValue(Corporation))
  )
  return HttpServerResponse.unsafeJson(corp)
}).pipe(
  Effect.catchAll((error) => Effect.succeed(HttpServerResponse.unsafeJson({ error: error._tag, message: error.message }, { status: 502 })))
)

const router = HttpRouter.empty.pipe(HttpRouter.get("/corporation", corporation))

const Listen = Layer.unwrapEffect(
  Effect.map(Config.integer("PORT").pipe(Config.withDefault(3000)), (port) =>
    NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
)

const Announce = Layer.effectDiscard(
  HttpServer.addressWith((address) =>
    Console.log(`listening on ${address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "a socket"}`)
  )
)

const Server = Layer.mergeAll(HttpServer.serve(router), Announce).pipe(
  // built once, for the life of the server: one token, shared by every request
  Layer.provide(NodeHosecloud.layerConfig()),
  Layer.provide(Listen)
)

// runs until Ctrl-C (or SIGTERM), then closes the server and the layers, refresh included
Layer.launch(Server).pipe(
  Effect.tapErrorCause((cause) => Cause.isInterruptedOnly(cause) ? Effect.void : Console.error(String(Cause.squash(cause)))),
  NodeRuntime.runMain({ disableErrorReporting: true }) // a failure: the line above, and exit code 1
)
