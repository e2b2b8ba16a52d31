/**
 * The adapters that run wherever Effect does. The Node-only ones are imported from their own entry points,
 * so that this one bundles for any runtime and installs nothing it does not need:
 * `@effect-hosecloud/adapters/NodeHosecloud` (needs `@effect/platform-node`),
 * `@effect-hosecloud/adapters/RedisTokenStore` (needs `ioredis`) and
 * `@effect-hosecloud/adapters/NodeSimulator` (needs `@effect/platform-node`).
 *
 * @since 0.1.0
 */

/**
 * The customer's Hosecloud edition and its business host.
 *
 * @since 0.1.0
 */
export * as Edition from "./Edition.js"

/**
 * Hosecloud on runtimes with `fetch`.
 *
 * @since 0.1.0
 */
export * as FetchHosecloud from "./FetchHosecloud.js"

/**
 * Discovery of a company's business host.
 *
 * @since 0.1.0
 */
export * as HostDiscovery from "./HostDiscovery.js"

/**
 * The legacy v1 token endpoint and the v2 refresh-token exchange.
 *
 * @since 0.1.0
 */
export * as LegacyAuth from "./LegacyAuth.js"
