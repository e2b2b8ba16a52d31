/**
 * Hosecloud on Node: `HosecloudAuth` and `HosecloudClient` over `@effect/platform-node`'s undici client.
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Runtime from "./internal/runtime.js"

const runtime = Runtime.make(NodeHttpClient.layerUndici)

/**
 * Options of the Node layer: the credentials and cache options of `HosecloudAuth`, the business host
 * (`apiUrl`, default the standalone edition's) and the `HosecloudClient` options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Runtime.Options {}

/**
 * `HosecloudAuth` and `HosecloudClient` on Node's undici.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Runtime.Constructors["layer"] = runtime.layer

/**
 * `HosecloudAuth` and `HosecloudClient` on Node's undici, from configuration: `HOSECLOUD_APP_KEY`,
 * `HOSECLOUD_APP_SECURITY`, `HOSECLOUD_AUTH_URL` (token host), and `HOSECLOUD_API_URL` or
 * `HOSECLOUD_EDITION` (business host).
 *
 * @example
 * ```ts
 * import * as NodeHosecloud from "@effect-hosecloud/adapters/NodeHosecloud"
 * import { HosecloudClient } from "@effect-hosecloud/core"
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 *
 * const main = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
 *   client.get("/api/openapi/v1/corporations")).pipe(
 *     Effect.flatMap(HosecloudClient.filterOk),
 *     Effect.provide(NodeHosecloud.layerConfig())
 *   )
 *
 * // in the program's entry point:
 * if (process.argv.includes("--run")) NodeRuntime.runMain(main)
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Runtime.Constructors["layerConfig"] = runtime.layerConfig
