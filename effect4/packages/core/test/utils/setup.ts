import { HosecloudAuth } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as HttpClient from "effect/http/HttpClient"
import { Effect, Redacted } from "effect"

export const demoKey = "demo-app-key"
export const demoSecret = "demo-app-security"

/** A simulator and a `HosecloudAuth` on it, in the test's scope. */
export const setup = (
  authOptions: Partial<HosecloudAuth.Options> = {},
  simulatorOptions: HosecloudSimulator.Options = {}
) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.make(simulatorOptions)
    const client = HosecloudSimulator.clientFor(sim.app)
    const auth = yield* HosecloudAuth.make({
      appKey: demoKey,
      appSecurity: Redacted.make(demoSecret),
      ...authOptions
    }).pipe(Effect.provideService(HttpClient.HttpClient, client))
    return { sim, auth, client }
  })

export const tokenRequests = (sim: HosecloudSimulator.Simulator) => sim.count("v3.getAccessToken")
