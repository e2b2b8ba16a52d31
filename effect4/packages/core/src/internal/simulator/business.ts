/**
 * The simulator's business endpoints: `GET /api/openapi/v1/corporations`, which checks the token (in the
 * `accessToken` query parameter or header) and acts for a sub-tenant of a platform token, and the
 * `GET /api/openapi/v2/location` host lookup.
 *
 * @internal
 */
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type { Endpoint, Fault } from "../../HosecloudSimulator.js"
import { unauthorized } from "./legacy.js"
import { authorize, record, respond, respondText, type Sim, withFaults } from "./state.js"

const businessFault = (sim: Sim, endpoint: Endpoint, fault: Fault) =>
  Effect.gen(function*() {
    switch (fault._tag) {
      case "InvalidKey":
        yield* record(sim, endpoint, "Unauthorized")
        return yield* unauthorized(sim)
      case "SystemError":
        yield* record(sim, endpoint, "SystemError")
        return yield* respond(sim, { errorCode: 500, errorMessage: "system error", traceId: fault.traceId ?? "" }, 500)
      case "HttpStatus":
        yield* record(sim, endpoint, "HttpStatus")
        return yield* respondText(sim, fault.body, fault.status)
      default:
        yield* record(sim, endpoint, "Malformed")
        return yield* respondText(sim, fault._tag === "Malformed" ? fault.body : "", 200, "application/json")
    }
  })

const TokenQuery = Schema.Struct({ accessToken: Schema.optional(Schema.String) })

/** @internal */
export const corporations = (sim: Sim) =>
  withFaults(
    sim,
    "business",
    (fault) => businessFault(sim, "v1.corporations", fault),
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const query = yield* Effect.orElseSucceed(HttpServerRequest.schemaSearchParams(TokenQuery), () => ({
        accessToken: undefined
      }))
      const issued = yield* authorize(sim, query.accessToken ?? request.headers["accesstoken"])
      if (Option.isNone(issued)) {
        yield* record(sim, "v1.corporations", "Unauthorized")
        return yield* unauthorized(sim)
      }
      const tenant = request.headers[sim.settings.tenantHeader]
      const corpId = issued.value.scope === "platform" && tenant !== undefined ? tenant : issued.value.corpId
      yield* record(sim, "v1.corporations", "success")
      return yield* respond(sim, { value: { id: corpId, name: `Simulated corporation ${corpId}`, scope: issued.value.scope } })
    })
  )

const LocationQuery = Schema.Struct({ corpId: Schema.optional(Schema.String) })

/** @internal */
export const location = (sim: Sim) =>
  withFaults(
    sim,
    "business",
    (fault) => businessFault(sim, "v2.location", fault),
    Effect.gen(function*() {
      yield* record(sim, "v2.location", "success")
      const query = yield* Effect.orElseSucceed(HttpServerRequest.schemaSearchParams(LocationQuery), () => ({
        corpId: undefined
      }))
      const s = yield* Ref.get(sim.state)
      return yield* respond(sim, { value: query.corpId === undefined ? "" : s.location })
    })
  )
