/**
 * Test support: an in-memory Hosecloud. Import from `@effect-hosecloud/core/testing`.
 *
 * @since 0.1.0
 */

/**
 * A faithful in-memory Hosecloud, as an `HttpApp` and an `HttpClient` layer.
 *
 * @since 0.1.0
 */
export * as HosecloudSimulator from "./HosecloudSimulator.js"
