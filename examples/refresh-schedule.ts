// When to refresh is a Schedule, stepped with each new token. Here a fleet's replicas each wait 90-100% of
// the default delay, at random, so that they do not all refresh at once.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { FetchHttpClient } from "@effect/platform"
import { DateTime, Effect, Layer, Schedule, Stream } from "effect"

const Spread = HosecloudAuth.layerConfig({
  refreshSchedule: HosecloudAuth.refreshBefore("10 minutes").pipe(Schedule.jitteredWith({ min: 0.9, max: 1 }))
})

// other schedules: at the top of every hour, or never in the background (a token only when none is held)
export const Hourly = HosecloudAuth.layerConfig({ refreshSchedule: Schedule.cron("0 * * * *") })
export const OnDemand = HosecloudAuth.layerConfig({ refreshSchedule: Schedule.stop })

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const scheduled = yield* auth.events.pipe(
    Stream.filter((event) => event._tag === "RefreshScheduled"),
    Stream.runHead,
    Effect.fork
  )
  const token = yield* auth.token
  const event = yield* scheduled
  if (event._tag === "Some" && event.value._tag === "RefreshScheduled") {
    const before = DateTime.distance(event.value.at, token.expiresAt)
    console.log(`token for ${token.corpId}; its refresh is scheduled ${Math.round(before / 60_000)} minutes before it expires`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(Spread.pipe(Layer.provide(FetchHttpClient.layer))))).catch(
  (error) => {
    console.error(error.message) // one line: what failed and why
    process.exitCode = 1
  }
)
