/**
 * The runtime adapters differ only in the `HttpClient` they run on; the layers they build are these.
 *
 * @internal
 */
import { type AuthError, HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Edition from "../Edition.js"

/** @internal */
export interface Options extends HosecloudAuth.Options {
  /** The business host. Default: the standalone edition's. */
  readonly apiUrl?: string | undefined
  readonly client?: Omit<HosecloudClient.Options, "apiUrl"> | undefined
}

/** @internal */
export interface ConfigOptions extends HosecloudAuth.CacheOptions {
  readonly client?: Omit<HosecloudClient.Options, "apiUrl"> | undefined
}

/** @internal */
export const layer = (
  http: Layer.Layer<HttpClient.HttpClient>,
  options: Options
): Layer.Layer<HosecloudAuth.HosecloudAuth | HosecloudClient.HosecloudClient, AuthError.InvalidOptions> =>
  HosecloudClient.layer({ ...options.client, apiUrl: options.apiUrl ?? Edition.hosts.standalone }).pipe(
    Layer.provideMerge(HosecloudAuth.layer(options)),
    Layer.provide(http)
  )

/** @internal */
export const layerConfig = (
  http: Layer.Layer<HttpClient.HttpClient>,
  options?: ConfigOptions
): Layer.Layer<
  HosecloudAuth.HosecloudAuth | HosecloudClient.HosecloudClient,
  Config.ConfigError | AuthError.InvalidOptions
> =>
  Layer.unwrap(
    Effect.gen(function*() {
      const { apiUrl, credentials } = yield* Config.all({ credentials: HosecloudAuth.config, apiUrl: Edition.apiUrlConfig })
      return layer(http, { ...options, ...credentials, apiUrl })
    })
  )

/** The two layer constructors of a runtime adapter. @internal */
export interface Constructors {
  readonly layer: (
    options: Options
  ) => Layer.Layer<HosecloudAuth.HosecloudAuth | HosecloudClient.HosecloudClient, AuthError.InvalidOptions>
  readonly layerConfig: (
    options?: ConfigOptions
  ) => Layer.Layer<
    HosecloudAuth.HosecloudAuth | HosecloudClient.HosecloudClient,
    Config.ConfigError | AuthError.InvalidOptions
  >
}

/** @internal */
export const make = (http: Layer.Layer<HttpClient.HttpClient>): Constructors => ({
  layer: (options) => layer(http, options),
  layerConfig: (options) => layerConfig(http, options)
})
