/**
 * The token engine's state and its transitions. The state is one value in a `Ref` (`stateRef.ts`); every
 * transition is a pure function from one state to the next, applied with `StateRef.modify`, so
 * it is atomic and `changes` sees each one.
 *
 * - `entry`: the latest token, with its `Exit` built once so the hot path allocates nothing;
 * - `refusal`: the last `InvalidKey`, answered from memory until its cool-down ends;
 * - `flight`: the request under way, shared by everyone who needs a token (single flight);
 * - `closed`: the service's scope has closed; nothing is served or started any more.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as DateTime from "effect/DateTime"
import type * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Exit from "effect/Exit"
import type * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import type * as Ref from "effect/Ref"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as AccessToken from "../../AccessToken.js"
import type * as AuthError from "../../AuthError.js"
import type * as TokenProtocol from "../../TokenProtocol.js"
import type * as SharedToken from "../sharedToken.js"
import type { Events } from "./events.js"
import type { StateRef } from "./stateRef.js"
import type { Permits } from "./flightPermits.js"

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

/** A token held, and what the hot path and the refresher need of it. @internal */
export interface Entry {
  readonly token: AccessToken.AccessToken
  readonly served: Exit.Exit<AccessToken.AccessToken>
  readonly expiresAt: number
  /** When its life started (when it arrived, or when the replica that fetched it got it). */
  readonly issuedAt: number
}

/** @internal */
export interface Refusal {
  readonly failed: Exit.Exit<never, AuthError.InvalidKey>
  readonly until: number
}

/**
 * One run of "get a token". `urgent` is completed when a caller waits on it for a token it does not
 * have: from then on a failed attempt is retried on `waitRetry`, and the caller's `waitTimeout` runs.
 *
 * @internal
 */
export interface Flight {
  readonly result: Deferred.Deferred<AccessToken.AccessToken, AuthError.AuthError>
  readonly urgent: Deferred.Deferred<void>
  readonly lastError: Ref.Ref<Option.Option<AuthError.AuthError>>
}

/** @internal */
export interface State {
  readonly entry: Entry | undefined
  readonly refusal: Refusal | undefined
  readonly flight: Flight | undefined
  /** When a token was last dropped because a server refused it (`invalidate`). */
  readonly invalidatedAt: number | undefined
  readonly closed: boolean
}

/** @internal */
export const initial: State = {
  entry: undefined,
  refusal: undefined,
  flight: undefined,
  invalidatedAt: undefined,
  closed: false
}

/** Everything the engine's functions share. @internal */
export interface Engine {
  readonly protocol: TokenProtocol.TokenProtocol
  readonly settings: Settings
  readonly state: StateRef<State>
  readonly events: Events
  /** The scope flights are forked in: closing it interrupts them. */
  readonly scope: Scope.Scope
  /** Shared with other engines (a registry's tenants): a flight runs only with one of its permits. */
  readonly flightPermits: Permits | undefined
  /** Stops the refresher of the current token (it is replaced with every new token). */
  readonly stopRefresher: Effect.Effect<void>
  /**
   * Replaces the refresher with one for `entry`, forked from the context the engine was built in (not
   * from whoever asked, so that fibers never descend from one another cycle after cycle).
   */
  readonly startRefresher: (entry: Entry) => void
  readonly coordinator: SharedToken.Coordinator | undefined
}

/** @internal */
export const entryOf = (token: AccessToken.AccessToken): Entry => ({
  token,
  served: Exit.succeed(token),
  expiresAt: token.expiresAt.epochMillis,
  issuedAt: token.issuedAt.epochMillis
})

/** The entry if its token is valid at `now`. @internal */
export const validEntry = (state: State, now: number): Entry | undefined =>
  state.entry !== undefined && now < state.entry.expiresAt ? state.entry : undefined

/** Starts `candidate` unless a flight is under way; answers the flight to join, `undefined` once closed. @internal */
export const join = (state: State, candidate: Flight): readonly [Flight | undefined, State] => {
  if (state.closed) return [undefined, state]
  if (state.flight !== undefined) return [state.flight, state]
  return [candidate, { ...state, flight: candidate }]
}

/** What a settled flight changed. @internal */
export interface Settled {
  /** The new token's entry, if it was installed. */
  readonly installed: Entry | undefined
  /** The entry it replaced. */
  readonly replaced: Entry | undefined
}

const unchanged: Settled = { installed: undefined, replaced: undefined }

/**
 * A flight ended: it no longer stands for "the request under way", a token replaces the entry (unless
 * the service has closed), and an `InvalidKey` starts a cool-down.
 *
 * @internal
 */
export const settle = (
  state: State,
  flight: Flight,
  outcome: Exit.Exit<AccessToken.AccessToken, AuthError.AuthError>,
  now: number,
  cooldownMillis: number
): readonly [Settled, State] => {
  const flightless: State = state.flight === flight ? { ...state, flight: undefined } : state
  if (Exit.isSuccess(outcome)) {
    if (flightless.closed) return [unchanged, flightless]
    const installed = entryOf(outcome.value)
    return [{ installed, replaced: state.entry }, { ...flightless, entry: installed, refusal: undefined }]
  }
  const failure = Cause.failureOption(outcome.cause)
  if (Option.isSome(failure) && failure.value._tag === "InvalidKey") {
    return [unchanged, { ...flightless, refusal: { failed: Exit.fail(failure.value), until: now + cooldownMillis } }]
  }
  return [unchanged, flightless]
}

/** What `invalidate` did. @internal */
export type Invalidation = "dropped" | "replaced" | "kept"

/**
 * Drops the entry if it still holds `token` (compare and clear), unless a token was dropped less than
 * `intervalMillis` ago: then it is kept, so that an API that refuses every token cannot make the library
 * fetch one after another.
 *
 * @internal
 */
export const invalidate = (
  state: State,
  token: AccessToken.AccessToken,
  now: number,
  intervalMillis: number
): readonly [Invalidation, State] => {
  if (state.entry === undefined || !AccessToken.sameToken(state.entry.token, token)) return ["replaced", state]
  if (state.invalidatedAt !== undefined && now - state.invalidatedAt < intervalMillis) return ["kept", state]
  return ["dropped", { ...state, entry: undefined, invalidatedAt: now }]
}

/** The state once the scope has closed: nothing is held any more. @internal */
export const closed: State = { ...initial, closed: true }

/** The secret values the engine knows now, to mask in any text it did not write. @internal */
export const knownSecrets = (engine: Engine, state: State): ReadonlyArray<Redacted.Redacted<string>> => [
  ...(engine.protocol.secrets ?? []),
  ...(state.entry === undefined ? [] : [state.entry.token.accessToken, state.entry.token.refreshToken])
]
