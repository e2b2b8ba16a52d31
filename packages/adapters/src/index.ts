/**
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

/**
 * Hosecloud on Node.
 *
 * @since 0.1.0
 */
export * as NodeHosecloud from "./NodeHosecloud.js"

/**
 * The shared token store on Redis.
 *
 * @since 0.1.0
 */
export * as RedisTokenStore from "./RedisTokenStore.js"

/**
 * The simulator served over HTTP on loopback.
 *
 * @since 0.1.0
 */
export * as NodeSimulator from "./NodeSimulator.js"
