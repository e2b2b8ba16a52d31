/**
 * The controls a test holds: credentials, lifetimes, clocks, faults, revocation and counters.
 *
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Result from "effect/Result"
import * as Ref from "effect/Ref"
import type { Simulator } from "../../HosecloudSimulator.js"
import { normalize, revoke, type Sim } from "./state.js"

/** A signed number of milliseconds, or a duration (ahead). @internal */
export const signedMillis = (input: number | Duration.Input): number =>
  typeof input === "number" ? input : Duration.toMillis(input)

/** @internal */
export const controls = (sim: Sim): Omit<Simulator, "app"> => {
  const { state } = sim
  return {
    register: (credentials) =>
      Ref.update(state, (s) => ({ ...s, credentials: HashMap.set(s.credentials, credentials.appKey, normalize(credentials)) })),
    setTokenLifetime: (lifetime) => Ref.update(state, (s) => ({ ...s, lifetime: Duration.toMillis(lifetime) })),
    setSkew: (skew) => Ref.update(state, (s) => ({ ...s, skew: signedMillis(skew) })),
    setLocation: (url) => Ref.update(state, (s) => ({ ...s, location: url })),
    script: (target, ...faults) =>
      Ref.update(state, (s) => ({ ...s, faults: { ...s.faults, [target]: [...s.faults[target], ...faults] } })),
    setRandomFaults: (target, probability, faults) =>
      Ref.update(state, (s) => ({ ...s, random: { ...s.random, [target]: { probability, faults } } })),
    setDown: (target, fault) => Ref.update(state, (s) => ({ ...s, down: { ...s.down, [target]: fault } })),
    traceIdsSent: Effect.map(Ref.get(state), (s) => Chunk.toReadonlyArray(s.traceIdsSent)),
    revoke: (accessToken) => revoke(sim, accessToken),
    counts: Effect.map(Ref.get(state), (s) => s.counts),
    count: (endpoint, outcome) =>
      Effect.map(Ref.get(state), (s) =>
        outcome === undefined
          ? s.counts.received[endpoint] ?? 0
          : s.counts.outcomes[endpoint]?.[outcome] ?? 0),
    issued: Effect.map(
      Ref.get(state),
      (s) => Chunk.toReadonlyArray(Chunk.filterMap(s.issueOrder, (token) => Result.fromOption(HashMap.get(s.tokens, token), () => undefined)))
    ),
    resetCounts: Ref.update(state, (s) => ({ ...s, counts: { received: {}, outcomes: {} } }))
  }
}

