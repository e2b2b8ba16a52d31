/**
 * The simulator's legacy endpoints on the edition hosts: v1 getAccessToken (HTTP 403 `密钥无效` for a
 * wrong key) and the v2 refresh-token exchange (every parameter in the query string; both tokens rotate).
 *
 * @internal
 */
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type { Issued } from "../../HosecloudSimulator.js"
import { checkCredentials, issue, record, respond, revoke, serverNow, type Sim, withFaults } from "./state.js"
import { tokenFault } from "./tokenFaults.js"

const legacyValue = (issued: Issued) => ({
  accessToken: issued.accessToken,
  refreshToken: issued.refreshToken,
  expireTime: issued.expiresTime,
  corporationId: issued.corpId
})

/** HTTP 403 `未授权`: what Hosecloud answers a refused token. @internal */
export const unauthorized = (sim: Sim) => respond(sim, { errorCode: 403, errorMessage: "未授权" }, 403)

/** @internal */
export const v1GetAccessToken = (sim: Sim) =>
  withFaults(
    sim,
    "token",
    (fault) => tokenFault(sim, "v1.getAccessToken", fault, "legacy"),
    Effect.gen(function*() {
      const check = yield* checkCredentials(sim)
      if (check._tag !== "Ok") {
        yield* record(sim, "v1.getAccessToken", "InvalidKey")
        return yield* respond(sim, { errorCode: 403, errorMessage: "密钥无效" }, 403)
      }
      const issued = yield* issue(sim, check.credentials)
      yield* record(sim, "v1.getAccessToken", "success")
      return yield* respond(sim, { value: legacyValue(issued) })
    })
  )

const RefreshQuery = Schema.Struct({
  accessToken: Schema.String,
  refreshToken: Schema.String,
  powerCode: Schema.Literal("219904"),
  expireDate: Schema.optional(Schema.NumberFromString.check(Schema.isGreaterThan(0)))
})

/** The token pair of a valid exchange, and the credentials that own it. */
const exchangeable = (sim: Sim) =>
  Effect.gen(function*() {
    const query = yield* Effect.option(HttpServerRequest.schemaSearchParams(RefreshQuery))
    if (Option.isNone(query)) return Option.none()
    const now = yield* serverNow(sim)
    const s = yield* Ref.get(sim.state)
    const current = HashMap.get(s.tokens, query.value.accessToken)
    const paired = HashMap.get(s.refreshTokens, query.value.refreshToken)
    if (
      Option.isNone(current) || current.value.revoked || current.value.expiresTime <= now ||
      Option.getOrUndefined(paired) !== current.value.accessToken
    ) return Option.none()
    const owner = HashMap.findFirst(s.credentials, (c) => c.corpId === current.value.corpId)
    return Option.map(owner, ([, credentials]) => ({ current: current.value, credentials, days: query.value.expireDate }))
  })

/** @internal */
export const v2RefreshToken = (sim: Sim) =>
  withFaults(
    sim,
    "token",
    (fault) => tokenFault(sim, "v2.refreshToken", fault, "legacy"),
    Effect.gen(function*() {
      const exchange = yield* exchangeable(sim)
      if (Option.isNone(exchange)) {
        yield* record(sim, "v2.refreshToken", "Unauthorized")
        return yield* unauthorized(sim)
      }
      const { credentials, current, days } = exchange.value
      const lifetime = days === undefined ? sim.settings.refreshedLifetime : days * 24 * 60 * 60 * 1000
      // both tokens rotate: the old pair stops working
      yield* revoke(sim, current.accessToken)
      const issued = yield* issue(sim, credentials, lifetime)
      yield* record(sim, "v2.refreshToken", "success")
      return yield* respond(sim, { value: legacyValue(issued) })
    })
  )
