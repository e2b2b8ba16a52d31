// The engine's state machine on its own: random sequences of events (callers asking and leaving, flights
// ending every way, wake-ups, refusals, the scope closing) through its pure transitions, checking after
// every step what the engine promises whatever happens.
import { AccessToken, AuthError } from "@effect-hosecloud/core"
import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import { DateTime, Exit, Redacted, Schedule } from "effect"
import * as Machine from "../src/internal/engine/machine.js"
import * as RefreshSchedule from "../src/internal/engine/refreshSchedule.js"

const waitTimeout = 10_000
const cooldown = 30_000
const interval = 5_000

/** A flight handle: the machine only compares them by identity. */
const flightHandle = (): Machine.Flight => ({ result: undefined as never, lastError: undefined as never, fiber: undefined })

let serial = 0
const tokenOf = (wallNow: number, lifeMillis: number) =>
  new AccessToken.AccessToken({
    corpId: "c",
    accessToken: Redacted.make(`t${++serial}`),
    refreshToken: Redacted.make("r"),
    scope: "tenant",
    expiresAt: DateTime.makeUnsafe(wallNow + lifeMillis),
    issuedAt: DateTime.makeUnsafe(wallNow)
  })

type Event =
  | { readonly _tag: "Ask"; readonly fresh: boolean }
  | { readonly _tag: "Leave" }
  | { readonly _tag: "Begin" }
  | { readonly _tag: "Token"; readonly life: number; readonly delay: number | undefined; readonly stale: boolean }
  | { readonly _tag: "Fail"; readonly invalidKey: boolean }
  | { readonly _tag: "Wake" }
  | { readonly _tag: "Refuse"; readonly held: boolean }
  | { readonly _tag: "Refresh" }
  | { readonly _tag: "Close" }

const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({ _tag: fc.constant("Ask" as const), fresh: fc.boolean() }),
  fc.constant({ _tag: "Leave" as const }),
  fc.constant({ _tag: "Begin" as const }),
  fc.record({
    _tag: fc.constant("Token" as const),
    life: fc.oneof(fc.integer({ min: -1_000, max: 10_000_000 }), fc.constant(7_200_000)),
    delay: fc.option(fc.integer({ min: 0, max: 20_000_000 }), { nil: undefined }),
    stale: fc.boolean()
  }),
  fc.record({ _tag: fc.constant("Fail" as const), invalidKey: fc.boolean() }),
  fc.constant({ _tag: "Wake" as const }),
  fc.record({ _tag: fc.constant("Refuse" as const), held: fc.boolean() }),
  fc.constant({ _tag: "Refresh" as const }),
  fc.constant({ _tag: "Close" as const })
)

/** Steps: an event after some time (often none, sometimes hours, sometimes exactly the next wake-up). */
const steps = fc.array(
  fc.record({ advance: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 8_000_000 }), fc.constant(-1)), event }),
  { maxLength: 120 }
)

const wallOffset = 1_700_000_000_000

describe("the state machine", () => {
  // fast-check directly: Effect 4's `it.prop` takes Effect's own `Arbitrary`s and schemas
  it("keeps its promises over any sequence of events", () => {
    fc.assert(fc.property(steps, (sequence) => {
      let state = Machine.initial(RefreshSchedule.start(Schedule.forever))
      let now = 0
      let wasClosed = false
      for (const { advance, event } of sequence) {
        // -1: straight to the next wake-up, where one is armed
        const wakeAt = Machine.wakeAt(state)
        now = advance === -1 ? Math.max(now, wakeAt ?? now) : now + advance
        const before = state
        const flightBefore = Machine.inFlight(before)
        let transition: Machine.Transition<unknown>
        switch (event._tag) {
          case "Ask": {
            const t = Machine.ask(state, now, event.fresh, flightHandle, waitTimeout)
            const reply = t.reply
            if (reply._tag === "Done" && Exit.isSuccess(reply.exit)) {
              const entry = Machine.heldEntry(before)
              assert.isDefined(entry)
              assert.isBelow(now, entry!.expiresAt, "a token is served only before its deadline")
              assert.isFalse(event.fresh, "refresh never answers with the token held")
            }
            if (reply._tag === "Await") assert.strictEqual(Machine.inFlight(t.state)?.flight, reply.flight)
            transition = t
            break
          }
          case "Leave":
            transition = Machine.leave(state, flightBefore?.flight ?? flightHandle())
            break
          case "Begin":
            transition = Machine.begin(state, now, flightBefore?.flight ?? flightHandle(), waitTimeout)
            break
          case "Token": {
            const flight = event.stale || flightBefore === undefined ? flightHandle() : flightBefore.flight
            const token = tokenOf(wallOffset + now, event.life)
            const step: RefreshSchedule.Step = event.delay === undefined
              ? { run: RefreshSchedule.done, delayMillis: undefined }
              : { run: { _tag: "Running", state: 0 }, delayMillis: event.delay }
            const t = Machine.settle(state, now, flight, Exit.succeed({ token, wallNow: wallOffset + now, step }), cooldown)
            if (t.reply.installed !== undefined) {
              const entry = t.reply.installed
              assert.strictEqual(entry.expiresAt, now + event.life, "the deadline is the life the server gave, from now")
              const due = t.state._tag === "Complete" ? t.state.due : undefined
              if (due !== undefined) {
                assert.isAtLeast(due, entry.halfLife, "no refresh before half the token's life")
                assert.isBelow(due, entry.expiresAt, "no refresh due at or after the expiry")
              }
            } else {
              assert.strictEqual(t.state, state, "a flight that is not the one under way changes nothing")
            }
            transition = t
            break
          }
          case "Fail": {
            const flight = flightBefore?.flight ?? flightHandle()
            const error = event.invalidKey
              ? new AuthError.InvalidKey({ code: "400", msg: "bad key" })
              : AuthError.systemError({ reason: "Timeout", description: "slow" })
            transition = Machine.settle(state, now, flight, Exit.fail(error), cooldown)
            break
          }
          case "Wake":
            transition = Machine.wake(state, now)
            break
          case "Refuse": {
            const entry = Machine.heldEntry(state)
            const token = event.held && entry !== undefined ? entry.token : tokenOf(wallOffset, 1)
            transition = Machine.refuse(state, now, token, interval)
            if (transition.reply === "dropped") assert.isUndefined(Machine.heldEntry(transition.state))
            break
          }
          case "Refresh": {
            const entry = Machine.heldEntry(state)
            transition = entry === undefined ? Machine.wake(state, now) : Machine.refresh(state, now, entry, flightHandle)
            break
          }
          case "Close":
            transition = Machine.close(state)
            break
        }
        const next = transition.state
        for (const command of transition.commands) {
          if (command._tag === "StartFlight") {
            assert.isUndefined(flightBefore, "at most one flight: one starts only when none is under way")
            assert.strictEqual(Machine.inFlight(next)?.flight, command.flight)
          }
          if (command._tag === "StartRefresher") {
            assert.strictEqual(event._tag, "Wake")
            assert.isAtLeast(now, command.entry.halfLife, "no refresh before half the token's life")
            assert.isBelow(now, command.entry.expiresAt, "no refresh at or after the expiry")
          }
          if (wasClosed) assert.strictEqual(command._tag, "StopRefresher", "nothing starts once closed")
        }
        const flightAfter = Machine.inFlight(next)
        if (flightAfter !== undefined) assert.isAtLeast(flightAfter.waiters, 0)
        // a wake-up that is due always moves the state on: the engine never spins on it
        if (event._tag === "Wake" && wakeAt !== undefined && now >= wakeAt) {
          const after = Machine.wakeAt(next)
          assert.isTrue(after === undefined || after > now, `woken at ${now}, next wake-up at ${after}`)
        }
        if (wasClosed) assert.strictEqual(next._tag, "Closed", "Closed is final")
        wasClosed = next._tag === "Closed"
        state = next
      }
    }), { numRuns: 2_000, seed: 20261205 })
  })

  it("a refresh installs its token with the schedule's delay, held back to half the token's life", () => {
    const start = Machine.ask(Machine.initial(RefreshSchedule.start(Schedule.forever)), 0, false, flightHandle, waitTimeout)
    assert.strictEqual(start.reply._tag, "Await")
    const flight = Machine.inFlight(start.state)!.flight
    const token = tokenOf(wallOffset, 7_200_000)
    const settled = Machine.settle(start.state, 0, flight, Exit.succeed({ token, wallNow: wallOffset, step: { run: { _tag: "Running", state: 1 }, delayMillis: 60_000 } }), cooldown)
    assert.strictEqual(settled.state._tag, "Complete")
    if (settled.state._tag === "Complete") {
      assert.strictEqual(settled.state.due, 3_600_000)
      assert.deepStrictEqual(settled.state.schedule, { _tag: "Running", state: 1 })
    }
    assert.deepStrictEqual(settled.commands.map((c) => c._tag), ["StopRefresher", "Publish", "Publish"])
    assert.strictEqual(Machine.wakeAt(settled.state), 3_600_000)
  })

  it("a token refused right after a scheduled refresh is dropped; one fetched for a refused token is kept within the interval", () => {
    const hold = (state: Machine.State, now: number) => {
      const asked = Machine.ask(state, now, true, flightHandle, waitTimeout)
      const flight = Machine.inFlight(asked.state)!.flight
      const token = tokenOf(wallOffset + now, 7_200_000)
      return Machine.settle(asked.state, now, flight, Exit.succeed({ token, wallNow: wallOffset + now, step: { run: RefreshSchedule.done, delayMillis: undefined } }), cooldown).state
    }
    const first = hold(Machine.initial(RefreshSchedule.done), 0)
    const dropped = Machine.refuse(first, 1_000, Machine.heldEntry(first)!.token, interval)
    assert.strictEqual(dropped.reply, "dropped")
    // the replacement of a refused token, refused within the interval: kept
    const second = hold(dropped.state, 1_100)
    assert.isTrue(Machine.heldEntry(second)!.replacedRefused)
    assert.strictEqual(Machine.refuse(second, 1_200, Machine.heldEntry(second)!.token, interval).reply, "kept")
    // a refresh (not caused by a refusal) installs a third within the interval: refused, it is dropped
    const third = hold(second, 1_300)
    assert.isFalse(Machine.heldEntry(third)!.replacedRefused)
    assert.strictEqual(Machine.refuse(third, 1_400, Machine.heldEntry(third)!.token, interval).reply, "dropped")
  })
})
