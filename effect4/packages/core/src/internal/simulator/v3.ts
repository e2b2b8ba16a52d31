/**
 * The simulator's v3 getAccessToken: every answer is HTTP 200 with a `{ code, msg, data }` envelope.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import { checkCredentials, issue, record, respond, type Sim, sentTraceId, traceId, withFaults } from "./state.js"
import { tokenFault } from "./tokenFaults.js"

/** @internal */
export const getAccessToken = (sim: Sim) =>
  withFaults(
    sim,
    "token",
    (fault) => tokenFault(sim, "v3.getAccessToken", fault, "v3"),
    Effect.gen(function*() {
      const check = yield* checkCredentials(sim)
      switch (check._tag) {
        case "Missing": {
          // a missing parameter is a system error, as Hosecloud answers it
          yield* record(sim, "v3.getAccessToken", "SystemError")
          const id = yield* traceId
          yield* sentTraceId(sim, id)
          return yield* respond(sim, { code: "500", msg: "system error", data: null, traceId: id })
        }
        case "Invalid":
          yield* record(sim, "v3.getAccessToken", "InvalidKey")
          return yield* respond(sim, { code: "403", msg: "密钥无效", data: "" })
        case "Ok": {
          const issued = yield* issue(sim, check.credentials)
          yield* record(sim, "v3.getAccessToken", "success")
          return yield* respond(sim, {
            code: "200",
            msg: "操作成功",
            data: {
              corpId: issued.corpId,
              accessToken: issued.accessToken,
              refreshToken: issued.refreshToken,
              expiresTime: issued.expiresTime,
              scope: issued.scope
            }
          })
        }
      }
    })
  )
