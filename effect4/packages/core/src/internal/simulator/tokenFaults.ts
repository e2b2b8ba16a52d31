/**
 * Scripted faults on the token endpoints, each answered in its endpoint's dialect: v3's HTTP 200
 * envelope, or the legacy endpoints' HTTP status with `errorCode` / `errorMessage`.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Endpoint, Fault } from "../../HosecloudSimulator.js"
import { record, respond, respondText, type Sim, sentTraceId, traceId } from "./state.js"

/** @internal */
export const tokenFault = (sim: Sim, endpoint: Endpoint, fault: Fault, dialect: "v3" | "legacy") =>
  Effect.gen(function*() {
    switch (fault._tag) {
      case "InvalidKey":
        yield* record(sim, endpoint, "InvalidKey")
        return dialect === "v3"
          ? yield* respond(sim, { code: "403", msg: "密钥无效", data: "" })
          : yield* respond(sim, { errorCode: 403, errorMessage: "密钥无效" }, 403)
      case "SystemError": {
        yield* record(sim, endpoint, "SystemError")
        const id = fault.traceId ?? (yield* traceId)
        yield* sentTraceId(sim, id)
        return dialect === "v3"
          ? yield* respond(sim, { code: "500", msg: "system error", data: null, traceId: id })
          : yield* respond(sim, { errorCode: 500, errorMessage: "system error", traceId: id }, 500)
      }
      case "HttpStatus":
        yield* record(sim, endpoint, "HttpStatus")
        return yield* respondText(sim, fault.body, fault.status)
      case "Malformed":
      case "Delay":
        // a delay never reaches here (it holds the request, which is then answered normally)
        yield* record(sim, endpoint, "Malformed")
        return yield* respondText(sim, fault._tag === "Malformed" ? fault.body : "", 200, "application/json")
    }
  })
