/**
 * The token cache behind `HosecloudAuth`: one state cell, one flight at a time, one refresher fiber.
 *
 * Every transition of the state is a synchronous read-modify-write of one cell, so it is atomic
 * without a lock (fibers only yield between effects). That is also what keeps the hot path cheap:
 * `token` with a valid cached token reads the cell and the clock and returns a pre-built `Exit`.
 *
 * A flight is one run of "get a token, retrying SystemError" shared by everyone who needs it.
 * It retries on one of two schedules, chosen again before every retry:
 * - background (`retry`): while a valid token is being served, retries are cheap for callers, so
 *   they back off up to the cap, and never past the old token's expiry;
 * - waiting (`waitRetry`): as soon as a caller waits on it (no valid token, `refresh`, or the current
 *   token invalidated), a short budget applies, and a background sleep is cut short.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberHandle from "effect/FiberHandle"
import * as FiberId from "effect/FiberId"
import * as Metric from "effect/Metric"
import * as MutableRef from "effect/MutableRef"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as AccessToken from "../AccessToken.js"
import * as AuthError from "../AuthError.js"
import type * as TokenProtocol from "../TokenProtocol.js"
import type * as TokenStore from "../TokenStore.js"
import * as SharedToken from "./sharedToken.js"

/** @internal */
export type AuthEvent =
  | { readonly _tag: "TokenIssued"; readonly token: AccessToken.AccessToken }
  | { readonly _tag: "RefreshScheduled"; readonly at: DateTime.Utc; readonly token: AccessToken.AccessToken }
  | {
    readonly _tag: "RetryScheduled"
    readonly error: AuthError.SystemError
    readonly attempt: number
    readonly delay: Duration.Duration
  }
  | { readonly _tag: "RequestFailed"; readonly error: AuthError.AuthError }
  | { readonly _tag: "TokenExpired"; readonly token: AccessToken.AccessToken }

/** @internal */
export interface CacheOptions {
  readonly sharing?: TokenStore.SharingOptions | undefined
  readonly refreshWindow: Duration.Duration
  readonly requestTimeout: Duration.Duration
  readonly retry: Schedule.Schedule<unknown, AuthError.SystemError>
  readonly waitRetry: Schedule.Schedule<unknown, AuthError.SystemError>
  readonly invalidKeyCooldown: Duration.Duration
}

/** @internal */
export interface TokenCache {
  readonly token: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError>
  readonly refresh: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError>
  readonly invalidate: (token: AccessToken.AccessToken) => Effect.Effect<void>
  readonly current: Effect.Effect<Option.Option<AccessToken.AccessToken>>
  readonly changes: Stream.Stream<AccessToken.AccessToken>
  readonly events: Stream.Stream<AuthEvent>
}

interface Entry {
  readonly token: AccessToken.AccessToken
  readonly served: Exit.Exit<AccessToken.AccessToken>
  readonly expiresAt: number
  readonly refreshAt: number
}

interface Cooldown {
  readonly failed: Exit.Exit<never, AuthError.InvalidKey>
  readonly until: number
}

interface Flight {
  readonly result: Deferred.Deferred<AccessToken.AccessToken, AuthError.AuthError>
  readonly wake: Deferred.Deferred<void>
  /** Someone is waiting on this flight for a token they do not have: the short budget applies. */
  urgent: boolean
}

interface State {
  readonly entry: Entry | undefined
  readonly flight: Flight | undefined
  readonly cooldown: Cooldown | undefined
}

/** @internal */
export const requests = Metric.counter("hosecloud_token_requests_total", {
  description: "Token requests sent to Hosecloud",
  incremental: true
})
/** @internal */
export const failures = Metric.counter("hosecloud_token_failures_total", {
  description: "Token requests that failed, by error tag",
  incremental: true
})
/** @internal */
export const refreshes = Metric.counter("hosecloud_token_refreshes_total", {
  description: "Tokens replaced before they expired",
  incremental: true
})
/** @internal */
export const secondsToExpiry = Metric.gauge("hosecloud_token_seconds_to_expiry", {
  description: "Seconds left on the current token when it was last looked at by the refresher"
})

/** @internal */
export const make = (
  protocol: TokenProtocol.TokenProtocol,
  options: CacheOptions
): Effect.Effect<TokenCache, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const refresher = yield* FiberHandle.make<void, never>()
    const hub = yield* Effect.acquireRelease(PubSub.unbounded<AuthEvent>(), PubSub.shutdown)
    const cell = MutableRef.make<State>({ entry: undefined, flight: undefined, cooldown: undefined })
    const refreshWindowMillis = Duration.toMillis(options.refreshWindow)
    const cooldownMillis = Duration.toMillis(options.invalidKeyCooldown)
    const protocolTags = { "hosecloud.protocol": protocol.name }
    let attempts = 0
    const coordinator = options.sharing === undefined
      ? undefined
      : yield* SharedToken.make(options.sharing, options.refreshWindow)

    const update = (f: (state: State) => State): void => {
      MutableRef.set(cell, f(MutableRef.get(cell)))
    }
    const validEntry = (now: number): Entry | undefined => {
      const entry = MutableRef.get(cell).entry
      return entry !== undefined && now < entry.expiresAt ? entry : undefined
    }
    const publish = (event: AuthEvent) => PubSub.publish(hub, event)

    // ---- one request ------------------------------------------------------------------------

    const request = (useRefresh: AccessToken.AccessToken | undefined) => {
      const issue = useRefresh === undefined || Option.isNone(protocol.refresh)
        ? protocol.issue
        : protocol.refresh.value(useRefresh).pipe(
          // an exchange that fails (or is refused) falls back to a new token
          Effect.catchAll(() => protocol.issue)
        )
      return issue.pipe(
        Effect.timeoutFail({
          duration: options.requestTimeout,
          onTimeout: () =>
            AuthError.systemError({
              reason: "Timeout",
              description: `no answer within ${Duration.format(options.requestTimeout)}`
            })
        })
      )
    }

    /** One request upstream, placed on the local clock. */
    const fetchUpstream = (useRefresh: AccessToken.AccessToken | undefined) =>
      Effect.gen(function*() {
        const sentAt = yield* Clock.currentTimeMillis
        yield* Metric.increment(Metric.tagged(requests, "hosecloud.protocol", protocol.name))
        const issued = yield* request(useRefresh)
        const receivedAt = yield* Clock.currentTimeMillis
        const token = yield* Either.match(AccessToken.fromIssued(issued, { sentAt, receivedAt }), {
          onLeft: (error) => Effect.fail<AuthError.AuthError>(error),
          onRight: (token) => Effect.succeed(token)
        })
        return { token, receivedAt, source: "upstream" } satisfies SharedToken.Obtained
      })

    const attempt = (useRefresh: AccessToken.AccessToken | undefined) =>
      Effect.gen(function*() {
        ++attempts
        const obtained = coordinator === undefined
          ? yield* fetchUpstream(useRefresh)
          : yield* coordinator.obtain(fetchUpstream(useRefresh))
        yield* Effect.annotateCurrentSpan({
          "hosecloud.outcome": "success",
          "hosecloud.source": obtained.source,
          "hosecloud.corp_id": obtained.token.corpId
        })
        return obtained
      }).pipe(
        Effect.tapError((error) =>
          Effect.all([
            Effect.annotateCurrentSpan({
              "hosecloud.outcome": error._tag,
              ...(error._tag === "SystemError" && Option.isSome(error.traceId)
                ? { "hosecloud.trace_id": error.traceId.value }
                : {})
            }),
            Metric.increment(Metric.tagged(Metric.tagged(failures, "hosecloud.protocol", protocol.name), "tag", error._tag)),
            logFailure(error),
            publish({ _tag: "RequestFailed", error })
          ], { discard: true })
        ),
        Effect.withSpan("HosecloudAuth.request", {
          kind: "client",
          attributes: { ...protocolTags, "hosecloud.refresh": useRefresh !== undefined }
        })
      )

    // ---- install a token --------------------------------------------------------------------

    const install = (token: AccessToken.AccessToken, receivedAt: number) =>
      Effect.suspend(() => {
        const expiresAt = DateTime.toEpochMillis(token.expiresAt)
        // the window never exceeds half the token's life, so a short-lived token cannot cause a loop
        const window = Math.min(refreshWindowMillis, (expiresAt - receivedAt) / 2)
        const entry: Entry = { token, served: Exit.succeed(token), expiresAt, refreshAt: expiresAt - window }
        const replaced = MutableRef.get(cell).entry
        update((state) => ({ ...state, entry, cooldown: undefined }))
        return Effect.all([
          Effect.logInfo("Hosecloud access token issued").pipe(
            Effect.annotateLogs({
              corpId: token.corpId,
              scope: token.scope,
              expiresAt: DateTime.formatIso(token.expiresAt)
            })
          ),
          replaced !== undefined && receivedAt < replaced.expiresAt ? Metric.increment(refreshes) : Effect.void,
          Metric.set(secondsToExpiry, (expiresAt - receivedAt) / 1000),
          publish({ _tag: "TokenIssued", token }),
          FiberHandle.run(refresher, refreshLoop(entry))
        ], { discard: true })
      })

    // ---- flights ----------------------------------------------------------------------------

    const runFlight = (flight: Flight): Effect.Effect<void> =>
      Effect.gen(function*() {
        let background: { state: unknown } | undefined
        let waiting: { state: unknown } | undefined
        while (true) {
          const now0 = yield* Clock.currentTimeMillis
          const held = validEntry(now0)
          const outcome = yield* Effect.either(attempt(held?.token))
          if (Either.isRight(outcome)) {
            yield* install(outcome.right.token, outcome.right.receivedAt)
            return yield* finish(flight, Exit.succeed(outcome.right.token))
          }
          const error = outcome.left
          if (error._tag === "InvalidKey") {
            const now = yield* Clock.currentTimeMillis
            update((state) => ({ ...state, cooldown: { failed: Exit.fail(error), until: now + cooldownMillis } }))
            return yield* finish(flight, Exit.fail(error))
          }
          const now = yield* Clock.currentTimeMillis
          const served = validEntry(now)
          let delay: number | undefined
          if (!flight.urgent && served !== undefined) {
            background ??= { state: options.retry.initial }
            const next = yield* nextDelay(options.retry, background, now, error)
            // never past the served token's expiry; rounding up wakes at or after it, never just before
            delay = next === undefined ? undefined : Math.ceil(Math.min(next, served.expiresAt - now))
          } else {
            waiting ??= { state: options.waitRetry.initial }
            delay = yield* nextDelay(options.waitRetry, waiting, now, error)
          }
          if (delay === undefined) {
            return yield* finish(flight, Exit.fail(error))
          }
          yield* publish({
            _tag: "RetryScheduled",
            error,
            attempt: attempts,
            delay: Duration.millis(delay)
          })
          const sleep = Effect.sleep(Duration.millis(delay))
          yield* flight.urgent ? sleep : Effect.raceFirst(sleep, Deferred.await(flight.wake))
        }
      }).pipe(
        Effect.onInterrupt(() => finish(flight, Exit.interrupt(FiberId.none)))
      )

    const finish = (flight: Flight, exit: Exit.Exit<AccessToken.AccessToken, AuthError.AuthError>) =>
      Effect.suspend(() => {
        update((state) => (state.flight === flight ? { ...state, flight: undefined } : state))
        return Deferred.done(flight.result, exit)
      })

    /** Joins the flight under way or starts one; `urgent` marks that the caller waits for it. */
    const joinFlight = (urgent: boolean): Effect.Effect<Flight> =>
      Effect.uninterruptible(Effect.suspend(() => {
        const existing = MutableRef.get(cell).flight
        if (existing !== undefined) {
          if (urgent) hurry(existing)
          return Effect.succeed(existing)
        }
        const flight: Flight = {
          result: Deferred.unsafeMake(FiberId.none),
          wake: Deferred.unsafeMake(FiberId.none),
          urgent
        }
        update((state) => ({ ...state, flight }))
        // the flight is forked from an uninterruptible region, but must itself stay interruptible
        return Effect.as(Effect.forkIn(Effect.interruptible(runFlight(flight)), scope), flight)
      }))

    const hurry = (flight: Flight): void => {
      if (!flight.urgent) {
        flight.urgent = true
        Deferred.unsafeDone(flight.wake, Exit.void)
      }
    }

    // ---- the refresher ----------------------------------------------------------------------

    const refreshLoop = (entry: Entry): Effect.Effect<void> =>
      Effect.gen(function*() {
        yield* publish({ _tag: "RefreshScheduled", at: DateTime.unsafeMake(entry.refreshAt), token: entry.token })
        yield* sleepUntil(entry.refreshAt)
        while (MutableRef.get(cell).entry === entry) {
          const now = yield* Clock.currentTimeMillis
          yield* Metric.set(secondsToExpiry, (entry.expiresAt - now) / 1000)
          if (now >= entry.expiresAt) break
          const flight = yield* joinFlight(false)
          const exit = yield* Effect.exit(Deferred.await(flight.result))
          // success installs a new token, which replaces this fiber; a background flight that gave up
          // stays given up (its schedule is spent), one cut short by a waiting caller is started again
          if (Exit.isSuccess(exit) || !flight.urgent) break
        }
        if (MutableRef.get(cell).entry === entry) {
          yield* sleepUntil(entry.expiresAt)
          if (MutableRef.get(cell).entry === entry) yield* publish({ _tag: "TokenExpired", token: entry.token })
        }
      })

    // ---- the service ------------------------------------------------------------------------

    const awaitToken = (urgent: boolean) =>
      Effect.flatMap(joinFlight(urgent), (flight) => Deferred.await(flight.result))

    const slowToken: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      const state = MutableRef.get(cell)
      if (state.entry !== undefined && now < state.entry.expiresAt) return state.entry.served
      if (state.cooldown !== undefined && now < state.cooldown.until) return state.cooldown.failed
      return awaitToken(true)
    })

    const token: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.clockWith((clock) => {
      const entry = MutableRef.get(cell).entry
      return entry !== undefined && clock.unsafeCurrentTimeMillis() < entry.expiresAt ? entry.served : slowToken
    })

    const refresh: Effect.Effect<AccessToken.AccessToken, AuthError.AuthError> = Effect.clockWith((clock) => {
      const cooldown = MutableRef.get(cell).cooldown
      if (cooldown !== undefined && clock.unsafeCurrentTimeMillis() < cooldown.until) return cooldown.failed
      return awaitToken(true)
    })

    const invalidate = (token: AccessToken.AccessToken): Effect.Effect<void> =>
      Effect.suspend(() => {
        const state = MutableRef.get(cell)
        if (state.entry === undefined || !AccessToken.sameToken(state.entry.token, token)) return Effect.void
        update((state) => ({ ...state, entry: undefined }))
        if (state.flight !== undefined) hurry(state.flight)
        return Effect.all([
          Effect.logDebug("Hosecloud access token invalidated").pipe(Effect.annotateLogs({ corpId: token.corpId })),
          FiberHandle.clear(refresher),
          coordinator === undefined ? Effect.void : coordinator.invalidate(token)
        ], { discard: true })
      })

    const current = Effect.clockWith((clock) =>
      Effect.succeed(Option.map(Option.fromNullable(validEntry(clock.unsafeCurrentTimeMillis())), (e) => e.token))
    )

    const events = Stream.fromPubSub(hub)
    const changes = Stream.filterMap(
      events,
      (event) => event._tag === "TokenIssued" ? Option.some(event.token) : Option.none()
    )

    return { token, refresh, invalidate, current, changes, events } satisfies TokenCache
  })

const nextDelay = (
  schedule: Schedule.Schedule<unknown, AuthError.SystemError>,
  driver: { state: unknown },
  now: number,
  error: AuthError.SystemError
): Effect.Effect<number | undefined> =>
  Effect.map(schedule.step(now, error, driver.state), ([state, _, decision]) => {
    driver.state = state
    if (ScheduleDecision.isDone(decision)) return undefined
    return Math.max(0, Math.ceil(Intervals.start(decision.intervals) - now))
  })

const sleepUntil = (at: number): Effect.Effect<void> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => at > now ? Effect.sleep(Duration.millis(at - now)) : Effect.void)

const logFailure = (error: AuthError.AuthError) =>
  Effect.logWarning("Hosecloud token request failed").pipe(
    Effect.annotateLogs(
      error._tag === "SystemError"
        ? {
          tag: error._tag,
          reason: error.reason,
          traceId: Option.getOrElse(error.traceId, () => "none"),
          detail: error.message
        }
        : { tag: error._tag, detail: error.message }
    )
  )
