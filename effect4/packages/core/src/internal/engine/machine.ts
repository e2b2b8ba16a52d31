/**
 * The token engine as a state machine: its state is one of a tagged union of phases, as Effect's own
 * `internal/cache.ts` keeps its entries (`Pending`, `Complete`, `Refreshing`), and every transition is a
 * pure function from a state and an event to the next state, the commands to run and an answer for
 * whoever sent the event. The interpreter (`tokenEngine.ts`) applies a transition atomically to the
 * engine's `Ref` and runs the commands on Effect's primitives. *When* anything happens is decided here:
 * the refresh's due time, a token's expiry, a waiting caller's budget, the one wake-up the engine needs
 * next (`wakeAt`).
 *
 * Times are milliseconds on the monotonic clock (`Clock.currentTimeNanos`): a token's remaining life is
 * read once, when it arrives, from what the server said, and kept as a deadline that a wall clock stepped
 * backwards or forwards cannot move.
 *
 * The phases:
 * - `Empty`: no token, nothing under way;
 * - `Pending`: no valid token, a flight (one run of "get a token") under way, shared by every caller;
 * - `Complete`: a token held, its refresh due at `due` (none: it is left to expire);
 * - `Refreshing`: a token held and served, a flight under way to replace it;
 * - `Refused`: the key was refused (`InvalidKey`), answered from memory until the cool-down ends;
 * - `Closed`: the service's scope has closed; final.
 *
 * @internal
 */
import * as Cause from "effect/Cause"
import * as DateTime from "effect/DateTime"
import type * as Deferred from "effect/Deferred"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Fiber from "effect/Fiber"
import type * as Ref from "effect/Ref"
import * as AccessToken from "../../AccessToken.js"
import type * as AuthError from "../../AuthError.js"
import type { AuthEvent } from "./model.js"
import type * as RefreshSchedule from "./refreshSchedule.js"

/** A token held. @internal */
export interface Entry {
  readonly token: AccessToken.AccessToken
  /** Built once, so that the hot path allocates nothing. */
  readonly served: Exit.Exit<AccessToken.AccessToken>
  /** Served strictly before this (monotonic milliseconds). */
  readonly expiresAt: number
  /** Half its life has passed: no refresh before this. */
  readonly halfLife: number
  /** It was fetched because a server refused the token before it (see `refuse`). */
  readonly replacedRefused: boolean
}

/** @internal */
export interface Refusal {
  readonly failed: Exit.Exit<never, AuthError.InvalidKey>
  readonly until: number
}

/**
 * The handle of one run of "get a token": what everyone who needs the token awaits, the last error of
 * its attempts (for the callers' budget), and its fiber once forked. An identity, as a `Deferred` in
 * Effect's cache is.
 *
 * @internal
 */
export interface Flight {
  readonly result: Deferred.Deferred<AccessToken.AccessToken, AuthError.AuthError>
  readonly lastError: Ref.Ref<Option.Option<AuthError.AuthError>>
  fiber: Fiber.Fiber<void> | undefined
}

/** A flight in the state: how many callers wait on it, and when their budget ends. @internal */
export interface InFlight {
  readonly flight: Flight
  readonly waiters: number
  /** It has begun its work (a registry's flights first wait for a permit). */
  readonly running: boolean
  /**
   * `waitTimeout` after the first caller began to wait, or after the flight began its work if that was
   * later; `undefined` until both have happened.
   */
  readonly deadline: number | undefined
  /** Started for a caller while no token was held because a server had refused the last one. */
  readonly afterRefusal: boolean
}

/** What every phase carries. @internal */
interface Common {
  /** The run of `refreshSchedule`, kept across tokens. */
  readonly schedule: RefreshSchedule.Run
  /** When a token was last dropped because a server refused it. */
  readonly droppedAt: number | undefined
}

/** @internal */
export interface Empty extends Common {
  readonly _tag: "Empty"
  /** A token was dropped because a server refused it, and none has come since. */
  readonly afterRefusal: boolean
}
/** @internal */
export interface Pending extends Common {
  readonly _tag: "Pending"
  readonly inFlight: InFlight
}
/** @internal */
export interface Complete extends Common {
  readonly _tag: "Complete"
  readonly entry: Entry
  /** When the refresh is due; `undefined`: the token is left to expire (or its refresh is under way). */
  readonly due: number | undefined
  /** A refresh was refused (`InvalidKey`): answered once the token has expired, until the cool-down ends. */
  readonly refusal: Refusal | undefined
}
/** @internal */
export interface Refreshing extends Common {
  readonly _tag: "Refreshing"
  readonly entry: Entry
  /** The refresh's due time, kept for when this flight (a caller's `refresh`) fails. */
  readonly due: number | undefined
  readonly inFlight: InFlight
}
/** @internal */
export interface Refused extends Common {
  readonly _tag: "Refused"
  readonly refusal: Refusal
}
/** @internal */
export interface Closed {
  readonly _tag: "Closed"
}

/** @internal */
export type State = Empty | Pending | Complete | Refreshing | Refused | Closed

/** What the interpreter runs after a transition. @internal */
export type Command =
  /** Fork the flight's attempts. */
  | { readonly _tag: "StartFlight"; readonly flight: Flight }
  /** The callers' budget is spent: the flight's waiters get its last error (or a timeout); it stops. */
  | { readonly _tag: "TimeOut"; readonly flight: Flight }
  /** Fork the refresher: the background refresh of `entry`, retried on `retry` until it expires. */
  | { readonly _tag: "StartRefresher"; readonly entry: Entry }
  /** Interrupt the refresher, if one runs. */
  | { readonly _tag: "StopRefresher" }
  | { readonly _tag: "Publish"; readonly event: AuthEvent }

/** The outcome of a transition. @internal */
export interface Transition<A> {
  readonly state: State
  readonly commands: ReadonlyArray<Command>
  readonly reply: A
}

const none: ReadonlyArray<Command> = []

const stay = <A>(state: State, reply: A): Transition<A> => ({ state, commands: none, reply })

/** @internal */
export const initial = (schedule: RefreshSchedule.Run): State => ({
  _tag: "Empty",
  schedule,
  droppedAt: undefined,
  afterRefusal: false
})

/** @internal */
export const closed: State = { _tag: "Closed" }

/** The token held, valid or not. @internal */
export const heldEntry = (state: State): Entry | undefined =>
  state._tag === "Complete" || state._tag === "Refreshing" ? state.entry : undefined

/** The entry if its token is valid at `now`. @internal */
export const validEntry = (state: State, now: number): Entry | undefined => {
  const entry = heldEntry(state)
  return entry !== undefined && now < entry.expiresAt ? entry : undefined
}

/** The flight under way. @internal */
export const inFlight = (state: State): InFlight | undefined =>
  state._tag === "Pending" || state._tag === "Refreshing" ? state.inFlight : undefined

const common = (state: Exclude<State, Closed>): Common => ({ schedule: state.schedule, droppedAt: state.droppedAt })

const refusalOf = (state: State): Refusal | undefined =>
  state._tag === "Refused" ? state.refusal : state._tag === "Complete" ? state.refusal : undefined

/**
 * The state with `inFlight` as its flight: `Refreshing` while a token is held, else `Pending`.
 */
const withFlight = (state: Exclude<State, Closed>, flight: InFlight): State => {
  switch (state._tag) {
    case "Complete":
    case "Refreshing":
      return { _tag: "Refreshing", ...common(state), entry: state.entry, due: state.due, inFlight: flight }
    default:
      return { _tag: "Pending", ...common(state), inFlight: flight }
  }
}

/**
 * The state without its flight: back to holding the token, its refresh due when it was (if the refresher
 * was the one to fail, it retries on its own), or to nothing.
 */
const withoutFlight = (state: Pending | Refreshing): State =>
  state._tag === "Refreshing"
    ? { _tag: "Complete", ...common(state), entry: state.entry, due: state.due, refusal: undefined }
    : { _tag: "Empty", ...common(state), afterRefusal: false }

/** Starts `flight`, with no waiter yet (`join` adds the one who asks, if it is a caller). */
const start = (
  state: Exclude<State, Closed>,
  flight: Flight,
  afterRefusal: boolean,
  join: (started: InFlight) => InFlight
): Transition<{ readonly _tag: "Await"; readonly flight: Flight }> => ({
  state: withFlight(state, join({ flight, waiters: 0, running: false, deadline: undefined, afterRefusal })),
  commands: [{ _tag: "StartFlight", flight }],
  reply: { _tag: "Await", flight }
})

// ---------------------------------------------------------------------------------------------------
// a caller asks
// ---------------------------------------------------------------------------------------------------

/** What a caller gets: an `Exit` at once, or a flight to await. @internal */
export type Answer =
  | { readonly _tag: "Done"; readonly exit: Exit.Exit<AccessToken.AccessToken, AuthError.AuthError> }
  | { readonly _tag: "Await"; readonly flight: Flight }
  | { readonly _tag: "Interrupt" }

const interrupt: Answer = { _tag: "Interrupt" }

/**
 * A caller needs a token: `token` (`fresh` false) is served the valid one held; `refresh` (`fresh` true)
 * wants a new one. A refusal still cooling down is answered from memory; otherwise the caller waits on
 * the flight under way, or on a flight made by `candidate` and started now. A caller who waits starts the budget of
 * `waitTimeoutMillis`, if nobody has yet.
 *
 * @internal
 */
export const ask = (
  state: State,
  now: number,
  fresh: boolean,
  candidate: () => Flight,
  waitTimeoutMillis: number
): Transition<Answer> => {
  if (state._tag === "Closed") return stay(state, interrupt)
  if (!fresh) {
    const entry = validEntry(state, now)
    if (entry !== undefined) return stay(state, { _tag: "Done", exit: entry.served })
  }
  const refusal = refusalOf(state)
  if (refusal !== undefined && now < refusal.until) return stay(state, { _tag: "Done", exit: refusal.failed })
  const current = inFlight(state)
  const waiting = (flight: InFlight): InFlight => ({
    ...flight,
    waiters: flight.waiters + 1,
    deadline: flight.deadline ?? (flight.running ? now + waitTimeoutMillis : undefined)
  })
  if (current !== undefined) {
    return stay(withFlight(state, waiting(current)), { _tag: "Await", flight: current.flight })
  }
  return start(state, candidate(), state._tag === "Empty" && state.afterRefusal, waiting)
}

/** A caller stopped waiting on `flight` (it was interrupted). @internal */
export const leave = (state: State, flight: Flight): Transition<void> => {
  const current = inFlight(state)
  if (current === undefined || current.flight !== flight || state._tag === "Closed") return stay(state, undefined)
  return stay(withFlight(state, { ...current, waiters: Math.max(0, current.waiters - 1) }), undefined)
}

/**
 * `flight` begins its work (it has its permit): the waiting callers' budget starts now, if one waits.
 *
 * @internal
 */
export const begin = (state: State, now: number, flight: Flight, waitTimeoutMillis: number): Transition<void> => {
  const current = inFlight(state)
  if (current === undefined || current.flight !== flight || state._tag === "Closed") return stay(state, undefined)
  const deadline = current.waiters > 0 ? now + waitTimeoutMillis : undefined
  return stay(withFlight(state, { ...current, running: true, deadline }), undefined)
}

/** Whether anyone still waits on `flight`: its retries for the callers go on only while someone does. @internal */
export const isAwaited = (state: State, flight: Flight): boolean => {
  const current = inFlight(state)
  return current !== undefined && current.flight === flight && current.waiters > 0
}

// ---------------------------------------------------------------------------------------------------
// the refresher asks
// ---------------------------------------------------------------------------------------------------

/** What the refresher of `entry` gets: a flight to await, or the end of its work. @internal */
export type RefresherAnswer =
  | { readonly _tag: "Await"; readonly flight: Flight }
  | { readonly _tag: "Stop" }

const stopRefresher: RefresherAnswer = { _tag: "Stop" }

/**
 * The refresher of `entry` tries (again): it joins the flight under way, or starts `candidate`, as long
 * as `entry` is still the token held and valid. It is not a waiter: it neither starts the callers'
 * budget nor keeps their retries going.
 *
 * @internal
 */
export const refresh = (
  state: State,
  now: number,
  entry: Entry,
  candidate: () => Flight
): Transition<RefresherAnswer> => {
  if (state._tag === "Closed" || validEntry(state, now) !== entry) return stay(state, stopRefresher)
  const current = inFlight(state)
  if (current !== undefined) return stay(state, { _tag: "Await", flight: current.flight })
  return start(state, candidate(), false, (started) => started)
}

// ---------------------------------------------------------------------------------------------------
// a flight ends
// ---------------------------------------------------------------------------------------------------

/** A token that arrived, with what the interpreter read when it did. @internal */
export interface Arrival {
  readonly token: AccessToken.AccessToken
  /** The wall clock when it arrived (the token's times are on it). */
  readonly wallNow: number
  /** `refreshSchedule` stepped with the token. */
  readonly step: RefreshSchedule.Step
}

/** What a settled flight changed. @internal */
export interface Settled {
  readonly installed: Entry | undefined
  readonly replaced: Entry | undefined
}

const unchanged: Settled = { installed: undefined, replaced: undefined }

/**
 * The entry of a token that arrives now: its remaining life, from what the server said, read once
 * against the wall clock and kept as a monotonic deadline.
 *
 * @internal
 */
export const entryOf = (token: AccessToken.AccessToken, now: number, wallNow: number, replacedRefused: boolean): Entry => {
  const expiresAt = DateTime.toEpochMillis(token.expiresAt)
  const life = Math.max(0, expiresAt - DateTime.toEpochMillis(token.issuedAt))
  const deadline = now + (expiresAt - wallNow)
  return { token, served: Exit.succeed(token), expiresAt: deadline, halfLife: deadline - life / 2, replacedRefused }
}

/**
 * When the refresh of `entry` is due, given the step the schedule took with its token: never before half
 * its life; `undefined` (left to expire) if the schedule is done, or due at or after the expiry.
 *
 * @internal
 */
export const dueTime = (entry: Entry, now: number, step: RefreshSchedule.Step): number | undefined => {
  if (step.delayMillis === undefined) return undefined
  const due = Math.max(now + step.delayMillis, entry.halfLife)
  return due < entry.expiresAt ? due : undefined
}

/**
 * `flight` ended with `outcome` (a token with its `Arrival`, or an error). If it is still the flight under
 * way it leaves the state: a token is installed with its refresh planned (announced as `RefreshScheduled`),
 * an `InvalidKey` starts a cool-down, anything else leaves what was held. A token that arrives after the
 * scope closed is dropped.
 *
 * @internal
 */
export const settle = (
  state: State,
  now: number,
  flight: Flight,
  outcome: Exit.Exit<Arrival, AuthError.AuthError>,
  cooldownMillis: number
): Transition<Settled> => {
  const current = inFlight(state)
  if (state._tag === "Closed" || current === undefined || current.flight !== flight) return stay(state, unchanged)
  const live = state as Pending | Refreshing
  if (Exit.isSuccess(outcome)) {
    const { step, token, wallNow } = outcome.value
    const entry = entryOf(token, now, wallNow, current.afterRefusal)
    const due = dueTime(entry, now, step)
    const replaced = heldEntry(state)
    const next: Complete = { _tag: "Complete", ...common(live), schedule: step.run, entry, due, refusal: undefined }
    const commands: Array<Command> = [{ _tag: "StopRefresher" }, { _tag: "Publish", event: { _tag: "TokenIssued", token } }]
    if (due !== undefined) {
      commands.push({
        _tag: "Publish",
        event: { _tag: "RefreshScheduled", at: DateTime.makeUnsafe(wallNow + (due - now)), token }
      })
    }
    return { state: next, commands, reply: { installed: entry, replaced } }
  }
  const failure = Cause.findErrorOption(outcome.cause)
  if (Option.isSome(failure) && failure.value._tag === "InvalidKey") {
    const refusal: Refusal = { failed: Exit.fail(failure.value), until: now + cooldownMillis }
    const entry = validEntry(state, now)
    const next: State = entry === undefined
      ? { _tag: "Refused", ...common(live), refusal }
      : { _tag: "Complete", ...common(live), entry, due: undefined, refusal }
    return stay(next, unchanged)
  }
  return stay(withoutFlight(live), unchanged)
}

// ---------------------------------------------------------------------------------------------------
// time passes
// ---------------------------------------------------------------------------------------------------

/**
 * The next time something is due in `state`, on the monotonic clock: the refresh, the token's expiry (to
 * announce it), or the end of the waiting callers' budget. The engine keeps one wake-up, at this time.
 *
 * @internal
 */
export const wakeAt = (state: State): number | undefined => {
  switch (state._tag) {
    case "Complete":
      return state.due === undefined ? state.entry.expiresAt : Math.min(state.due, state.entry.expiresAt)
    case "Refreshing":
      return state.inFlight.deadline === undefined
        ? state.entry.expiresAt
        : Math.min(state.inFlight.deadline, state.entry.expiresAt)
    case "Pending":
      return state.inFlight.deadline
    default:
      return undefined
  }
}

const expiredEvent = (entry: Entry): Command => ({ _tag: "Publish", event: { _tag: "TokenExpired", token: entry.token } })

/**
 * The wake-up is due at `now`: what is due happens. The waiting callers' budget ends (their flight is
 * timed out); a token expires (announced; the refresher, if it still retries, stops); a refresh is due
 * (the refresher starts).
 *
 * @internal
 */
export const wake = (state: State, now: number): Transition<void> => {
  switch (state._tag) {
    case "Pending": {
      const { deadline, flight } = state.inFlight
      if (deadline === undefined || now < deadline) return stay(state, undefined)
      return {
        state: { _tag: "Empty", ...common(state), afterRefusal: state.inFlight.afterRefusal },
        commands: [{ _tag: "TimeOut", flight }],
        reply: undefined
      }
    }
    case "Refreshing": {
      const { deadline, flight } = state.inFlight
      const expired = now >= state.entry.expiresAt
      const timedOut = deadline !== undefined && now >= deadline
      if (!expired && !timedOut) return stay(state, undefined)
      const commands: Array<Command> = []
      if (expired) commands.push({ _tag: "StopRefresher" }, expiredEvent(state.entry))
      if (timedOut) commands.push({ _tag: "TimeOut", flight })
      const next: State = timedOut
        ? (expired
          ? { _tag: "Empty", ...common(state), afterRefusal: false }
          : { _tag: "Complete", ...common(state), entry: state.entry, due: state.due, refusal: undefined })
        : { _tag: "Pending", ...common(state), inFlight: state.inFlight }
      return { state: next, commands, reply: undefined }
    }
    case "Complete": {
      const { due, entry, refusal } = state
      if (now >= entry.expiresAt) {
        const next: State = refusal !== undefined && now < refusal.until
          ? { _tag: "Refused", ...common(state), refusal }
          : { _tag: "Empty", ...common(state), afterRefusal: false }
        return { state: next, commands: [{ _tag: "StopRefresher" }, expiredEvent(entry)], reply: undefined }
      }
      if (due === undefined || now < due) return stay(state, undefined)
      return {
        state: { ...state, due: undefined },
        commands: [{ _tag: "StartRefresher", entry }],
        reply: undefined
      }
    }
    default:
      return stay(state, undefined)
  }
}

// ---------------------------------------------------------------------------------------------------
// a server refuses the token
// ---------------------------------------------------------------------------------------------------

/** What `invalidate` did. @internal */
export type Invalidation = "dropped" | "replaced" | "kept"

/**
 * A server refused `token`. If it is still the one held, it is dropped, unless it was itself fetched
 * because a server refused the token before it, less than `intervalMillis` ago: then it is kept, so that
 * an API that refuses every token costs at most one token request per interval. A token installed by a
 * refresh, or by anything else than a refusal, is always dropped.
 *
 * @internal
 */
export const refuse = (
  state: State,
  now: number,
  token: AccessToken.AccessToken,
  intervalMillis: number
): Transition<Invalidation> => {
  const entry = heldEntry(state)
  if (state._tag === "Closed" || entry === undefined || !AccessToken.sameToken(entry.token, token)) {
    return stay(state, "replaced")
  }
  const live = state as Complete | Refreshing
  if (entry.replacedRefused && live.droppedAt !== undefined && now - live.droppedAt < intervalMillis) {
    return stay(state, "kept")
  }
  const next: State = live._tag === "Refreshing"
    ? { _tag: "Pending", schedule: live.schedule, droppedAt: now, inFlight: { ...live.inFlight, afterRefusal: true } }
    : { _tag: "Empty", schedule: live.schedule, droppedAt: now, afterRefusal: true }
  return { state: next, commands: [{ _tag: "StopRefresher" }], reply: "dropped" }
}

// ---------------------------------------------------------------------------------------------------
// the scope closes
// ---------------------------------------------------------------------------------------------------

/** The scope closed: nothing is served or started any more. Final. @internal */
export const close = (state: State): Transition<void> =>
  state._tag === "Closed" ? stay(state, undefined) : { state: closed, commands: [{ _tag: "StopRefresher" }], reply: undefined }
