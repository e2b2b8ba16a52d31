/**
 * What the engine's modules share: its events, its checked options, and the engine itself (its state
 * machine's `Ref`, the interpreter's `apply`, and what flights need).
 *
 * @internal
 */
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as AccessToken from "../../AccessToken.js"
import type * as AuthError from "../../AuthError.js"
import type * as TokenProtocol from "../../TokenProtocol.js"
import type * as SharedToken from "../sharedToken.js"
import type { Events } from "./events.js"
import type { StateRef } from "./stateRef.js"
import type { Permits } from "./flightPermits.js"
import type { Timers } from "./timers.js"
import * as Machine from "./machine.js"

/** Something that happened to the token (the service's `events`). @internal */
export type AuthEvent =
  | { readonly _tag: "TokenIssued"; readonly token: AccessToken.AccessToken }
  | { readonly _tag: "RefreshScheduled"; readonly at: DateTime.Utc; readonly token: AccessToken.AccessToken }
  | {
    readonly _tag: "RetryScheduled"
    readonly error: AuthError.SystemError
    /** The attempt that failed, counted from 1 within its run of retries. */
    readonly attempt: number
    readonly delay: Duration.Duration
  }
  | { readonly _tag: "RequestFailed"; readonly error: AuthError.AuthError }
  | { readonly _tag: "TokenExpired"; readonly token: AccessToken.AccessToken }

/** The checked options of an engine. @internal */
export interface Settings {
  readonly refreshSchedule: Schedule.Schedule<unknown, AccessToken.AccessToken>
  readonly refreshWindow: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly waitTimeout: Duration.Duration
  readonly retry: Schedule.Schedule<unknown, AuthError.SystemError>
  readonly waitRetry: Schedule.Schedule<unknown, AuthError.SystemError>
  readonly invalidKeyCooldown: Duration.Duration
  readonly invalidationInterval: Duration.Duration
}

/** Everything the engine's functions share. @internal */
export interface Engine {
  readonly protocol: TokenProtocol.TokenProtocol
  readonly settings: Settings
  readonly state: StateRef<Machine.State>
  readonly events: Events
  /** The scope flights are forked in: closing it interrupts them. */
  readonly scope: Scope.Scope
  /** Shared with other engines (a registry's tenants): a flight runs only with one of its permits. */
  readonly flightPermits: Permits | undefined
  readonly coordinator: SharedToken.Coordinator | undefined
  /** The wake-ups the engine keeps (its own, or its registry's): its requests' deadlines are kept there too. */
  readonly timers: Timers
  /**
   * Applies a transition of the state machine (`machine.ts`) at the monotonic time now, atomically, then
   * runs its commands; answers its reply. Uninterruptible: a state that names a flight has its fiber.
   */
  readonly apply: <A>(transition: (state: Machine.State, now: number) => Machine.Transition<A>) => Effect.Effect<A>
}

/** The secret values the engine knows now, to mask in any text it did not write. @internal */
export const knownSecrets = (engine: Engine, state: Machine.State): ReadonlyArray<Redacted.Redacted<string>> => {
  const entry = Machine.heldEntry(state)
  return [
    ...(engine.protocol.secrets ?? []),
    ...(entry === undefined ? [] : [entry.token.accessToken, entry.token.refreshToken])
  ]
}
