/**
 * A bound shared by many engines on how many flights run at once. `TenantRegistry` provides one to
 * every tenant it builds, so that thousands of tenants starting together queue for their token
 * requests instead of opening thousands of connections at once. A flight waits for a permit before
 * its work starts, so a caller's `waitTimeout` counts from the moment its flight runs.
 *
 * @internal
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/** @internal */
export class FlightPermits extends Context.Tag("@effect-hosecloud/core/internal/FlightPermits")<
  FlightPermits,
  Effect.Semaphore
>() {}
