// On Node: HosecloudAuth and HosecloudClient on undici, from HOSECLOUD_APP_KEY, HOSECLOUD_APP_SECURITY,
// HOSECLOUD_AUTH_URL, and HOSECLOUD_API_URL or HOSECLOUD_EDITION.
import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
import { HosecloudClient } from "@effect-hosecloud/core"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect } from "effect"

const main = Effect.gen(function*() {
  const client = yield* HosecloudClient.HosecloudClient
  const response = yield* client.get("/api/openapi/v1/corporations").pipe(Effect.flatMap(HosecloudClient.filterOk))
  yield* Console.log(JSON.stringify(yield* response.json))
})

main.pipe(
  Effect.provide(NodeHosecloud.layerConfig()),
  Effect.tapCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.void : Console.error(String(Cause.squash(cause)))),
  NodeRuntime.runMain({ disableErrorReporting: true }) // a failure: the line above, and exit code 1
)
