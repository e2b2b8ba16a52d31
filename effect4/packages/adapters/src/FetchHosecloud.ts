/**
 * Hosecloud on any runtime with `fetch` (Deno, Bun, edge workers, Node): `HosecloudAuth` and
 * `HosecloudClient` over `effect/http`'s `FetchHttpClient`.
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Runtime from "./internal/runtime.js"

const runtime = Runtime.make(FetchHttpClient.layer)

/**
 * Options of the fetch layer: the credentials and cache options of `HosecloudAuth`, the business host
 * (`apiUrl`, default the standalone edition's) and the `HosecloudClient` options.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends Runtime.Options {}

/**
 * `HosecloudAuth` and `HosecloudClient` on `fetch`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Runtime.Constructors["layer"] = runtime.layer

/**
 * `HosecloudAuth` and `HosecloudClient` on `fetch`, from configuration: `HOSECLOUD_APP_KEY`,
 * `HOSECLOUD_APP_SECURITY`, `HOSECLOUD_AUTH_URL` (token host), and `HOSECLOUD_API_URL` or
 * `HOSECLOUD_EDITION` (business host).
 *
 * @example
 * ```ts
 * import { FetchHosecloud } from "@effect-hosecloud/adapters"
 * import { HosecloudClient } from "@effect-hosecloud/core"
 * import { Effect } from "effect"
 *
 * // a worker's fetch handler, say, runs it with Effect.runPromise
 * export const corporations = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
 *   client.get("/api/openapi/v1/corporations")).pipe(
 *     Effect.flatMap(HosecloudClient.filterOk),
 *     Effect.flatMap((response) => response.json),
 *     Effect.provide(FetchHosecloud.layerConfig())
 *   )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Runtime.Constructors["layerConfig"] = runtime.layerConfig
