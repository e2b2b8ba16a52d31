/**
 * The customer's Hosecloud edition (the platform their Hosecloud runs in) decides the business host.
 * These are the documented hosts as typed presets, and the configuration that picks one.
 *
 * @since 0.1.0
 */
import { type AuthError, type HosecloudAuth, HosecloudClient, Validation } from "@effect-hosecloud/core"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import type * as HttpClient from "effect/http/HttpClient"
import type * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"

/**
 * The business host of each edition.
 *
 * @since 0.1.0
 * @category constants
 */
export const hosts = {
  /** 独立版 */
  standalone: "https://app.ekuaibao.com",
  /** 钉钉 (on `dd2.ekuaibao.com` until 2024-03) */
  dingtalk: "https://dd2.hosecloud.com",
  /** 企业微信 */
  wecom: "https://wx2.ekuaibao.com",
  /** 飞书 */
  feishu: "https://feishu.ekuaibao.com",
  /** 云之家 */
  "kingdee-cloud": "https://kdcloud2.ekuaibao.com",
  /** 钉钉企业自建 */
  "dingtalk-enterprise": "https://ddenterprise.ekuaibao.com"
} as const

/**
 * An edition by name.
 *
 * @since 0.1.0
 * @category models
 */
export type Edition = keyof typeof hosts

/**
 * Every edition name.
 *
 * @since 0.1.0
 * @category constants
 */
export const editions = Object.keys(hosts) as ReadonlyArray<Edition>

/**
 * The business host of an edition.
 *
 * @since 0.1.0
 * @category accessors
 */
export const hostOf = (edition: Edition): string => hosts[edition]

/**
 * `true` for the name of an edition.
 *
 * @since 0.1.0
 * @category refinements
 */
export const isEdition = (name: string): name is Edition => Object.prototype.hasOwnProperty.call(hosts, name)

/**
 * The business host from configuration: `HOSECLOUD_API_URL` when set (`https:`, or `http:` on loopback),
 * else the host of `HOSECLOUD_EDITION` (one of `editions`), else the standalone edition's.
 *
 * @since 0.1.0
 * @category config
 */
export const apiUrlConfig: Config.Config<string> = Config.all([
  Config.option(Config.String("HOSECLOUD_API_URL")),
  Config.option(Config.String("HOSECLOUD_EDITION"))
]).pipe(
  Config.flatMap(([url, edition]) => {
    if (Option.isSome(url)) {
      return Result.match(Validation.checkUrl(url.value), {
        onFailure: (message) => invalid("HOSECLOUD_API_URL", message),
        onSuccess: Config.succeed
      })
    }
    const name = Option.getOrElse(edition, () => "standalone")
    return isEdition(name)
      ? Config.succeed(hostOf(name))
      : invalid("HOSECLOUD_EDITION", `unknown edition ${JSON.stringify(name)}; one of ${editions.join(", ")}`)
  })
)

// a value the variable holds but the library cannot take: the message names the variable
const invalid = (variable: string, message: string): Config.Config<never> =>
  Config.fail(new ConfigProvider.SourceError({ message: `${variable}: ${message}` }))

/**
 * `HosecloudClient` on the host of an edition.
 *
 * @example
 * ```ts
 * import { Edition } from "@effect-hosecloud/adapters"
 * import { HosecloudAuth } from "@effect-hosecloud/core"
 * import { FetchHttpClient } from "effect/http"
 * import { Layer } from "effect"
 *
 * // the business APIs of a DingTalk customer, with the token from HOSECLOUD_* variables
 * export const ClientLive = Edition.layerClient("dingtalk").pipe(
 *   Layer.provideMerge(HosecloudAuth.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  edition: Edition,
  options?: Omit<HosecloudClient.Options, "apiUrl">
): Layer.Layer<
  HosecloudClient.HosecloudClient,
  AuthError.InvalidOptions,
  HosecloudAuth.HosecloudAuth | HttpClient.HttpClient
> =>
  HosecloudClient.layer({ ...options, apiUrl: hostOf(edition) })
