// 8. A fleet on the Effect 4 line: 8 replica processes sharing Redis, against the same fleet without a store. The replicas start
// once Redis answers PING, and each reports whether its store answered, printed beside the row.
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { Context, Effect, Layer } from "effect"
import * as path from "node:path"
import { fleetFindings, runReplicas, startRedis } from "../../bench/processes.js"
import { effect4Root as root, here } from "./fixtures.js"
import { findings, log } from "./rounds.js"

export const fleet = Effect.gen(function*() {
  yield* log("8. 8 replica processes sharing Redis")
  const found = findings()
  const redis = yield* Effect.promise(startRedis)
  if (redis === undefined) {
    found.notes.push("8. replicas: redis-server is not installed here, so this benchmark was skipped.")
    return found
  }
  yield* Effect.addFinalizer(() => Effect.sync(redis.kill))
  const context = yield* Layer.build(NodeSimulator.layer())
  const sim = Context.get(context, HosecloudSimulator.HosecloudSimulator)
  const url = Context.get(context, NodeSimulator.SimulatorAddress).url
  yield* sim.setTokenLifetime("10 seconds")
  const runFleet = (shared: boolean) =>
    Effect.promise(() =>
      runReplicas({
        count: 8,
        node: process.execPath,
        script: path.join(here, "replica.ts"),
        tsconfig: path.join(here, "tsx.tsconfig.json"),
        cwd: root,
        simUrl: url,
        redisUrl: shared ? `redis://127.0.0.1:${redis.port}` : ""
      })
    )
  const before = yield* sim.count("v3.getAccessToken")
  const sharedRun = yield* runFleet(true)
  const sharedRequests = (yield* sim.count("v3.getAccessToken")) - before
  const beforeLocal = yield* sim.count("v3.getAccessToken")
  const localRun = yield* runFleet(false)
  const localRequests = (yield* sim.count("v3.getAccessToken")) - beforeLocal
  return fleetFindings({ waited: redis.waited, shared: sharedRun, sharedRequests, local: localRun, localRequests })
})
