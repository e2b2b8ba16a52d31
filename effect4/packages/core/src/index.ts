/**
 * Access tokens for the Hosecloud (合思) Open API, the Effect way: every module of the core as a namespace.
 *
 * @since 0.1.0
 */

/**
 * The access token and the v3 wire shapes.
 *
 * @since 0.1.0
 */
export * as AccessToken from "./AccessToken.js"

/**
 * Errors of the business APIs: `ApiError` and `Unauthorized`.
 *
 * @since 0.1.0
 */
export * as ApiError from "./ApiError.js"

/**
 * `InvalidKey`, `SystemError` and their union `AuthError`.
 *
 * @since 0.1.0
 */
export * as AuthError from "./AuthError.js"

/**
 * The authentication service and its layers.
 *
 * @since 0.1.0
 */
export * as HosecloudAuth from "./HosecloudAuth.js"

/**
 * An `HttpClient` for the business APIs that attaches the token and recovers from a refused one.
 *
 * @since 0.1.0
 */
export * as HosecloudClient from "./HosecloudClient.js"

/**
 * The wire side of authentication: the v3 endpoint and the interface other endpoints implement.
 *
 * @since 0.1.0
 */
export * as TokenProtocol from "./TokenProtocol.js"

/**
 * The shared store that lets replicas use one token.
 *
 * @since 0.1.0
 */
export * as TokenStore from "./TokenStore.js"

/**
 * Checks of options, as every layer of the library makes them.
 *
 * @since 0.2.0
 */
export * as Validation from "./Validation.js"

/**
 * Many tenants in one process, each with its own `HosecloudAuth`, released when idle.
 *
 * @since 0.1.0
 */
export * as TenantRegistry from "./TenantRegistry.js"
