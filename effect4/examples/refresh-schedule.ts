// When to refresh is a Schedule, stepped with each new token. Here a fleet's replicas each wait 90-100% of
// the default delay, at random, so that they do not all refresh at once.
import { HosecloudAuth } from "@effect-hosecloud/core"
import { FetchHttpClient } from "effect/http"
import { DateTime, Duration, Effect, Fiber, Layer, Random, Schedule, Stream } from "effect"

const Spread = HosecloudAuth.layerConfig({
  refreshSchedule: HosecloudAuth.refreshBefore("10 minutes").pipe(
    Schedule.modifyDelay(({ duration }) => Effect.map(Random.nextBetween(0.9, 1), (f) => Duration.times(duration, f)))
  )
})

// other schedules: every hour, or never in the background (a token only when none is held). Effect 4's
// Schedule.cron can fail (CronParseError), which a refresh schedule may not
export const Hourly = HosecloudAuth.layerConfig({ refreshSchedule: Schedule.fixed("1 hour") })
export const OnDemand = HosecloudAuth.layerConfig({ refreshSchedule: Schedule.recurs(0) })

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const scheduled = yield* auth.events.pipe(
    Stream.filter((event) => event._tag === "RefreshScheduled"),
    Stream.runHead,
    Effect.forkChild
  )
  const token = yield* auth.token
  const event = yield* Fiber.join(scheduled)
  if (event._tag === "Some" && event.value._tag === "RefreshScheduled") {
    const before = Duration.toMillis(DateTime.distance(event.value.at, token.expiresAt))
    console.log(`token for ${token.corpId}; its refresh is scheduled ${Math.round(before / 60_000)} minutes before it expires`)
  }
})

Effect.runPromise(program.pipe(Effect.provide(Spread.pipe(Layer.provide(FetchHttpClient.layer))))).catch(
  (error) => {
    console.error(error.message) // one line: what failed and why
    process.exitCode = 1
  }
)
