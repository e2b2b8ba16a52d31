/**
 * The simulator's state: one `Ref` holding one immutable value (persistent maps for the tokens, so that
 * issuing the 10,000th token does not copy the other 9,999), and the helpers every route shares:
 * counters, the server's clock, faults, answers and issuing tokens.
 *
 * @internal
 */
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as HttpServerResponse from "effect/http/HttpServerResponse"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as HashMap from "effect/HashMap"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import type * as AccessToken from "../../AccessToken.js"
import type {
  Counts,
  Credentials,
  Endpoint,
  Fault,
  Issued,
  Outcome,
  Target
} from "../../HosecloudSimulator.js"

/** @internal */
export interface Registered {
  readonly appKey: string
  readonly appSecurity: string
  readonly scope: AccessToken.Scope
  readonly corpId: string
}

/** @internal */
export interface State {
  readonly credentials: HashMap.HashMap<string, Registered>
  readonly lifetime: number
  readonly skew: number
  readonly location: string
  readonly faults: Readonly<Record<Target, ReadonlyArray<Fault>>>
  readonly random: Readonly<Record<Target, { readonly probability: number; readonly faults: ReadonlyArray<Fault> }>>
  readonly down: Readonly<Record<Target, Fault | undefined>>
  readonly counts: Counts
  readonly serial: number
  /** Issued tokens by access token, the access tokens in the order they were issued, and refresh tokens. */
  readonly tokens: HashMap.HashMap<string, Issued>
  readonly issueOrder: Chunk.Chunk<string>
  readonly refreshTokens: HashMap.HashMap<string, string>
  readonly traceIdsSent: Chunk.Chunk<string>
}

/** What does not change after the simulator is built. @internal */
export interface Settings {
  readonly tenantHeader: string
  readonly sendDate: boolean
  readonly refreshedLifetime: number
}

/** @internal */
export interface Sim {
  readonly state: Ref.Ref<State>
  readonly settings: Settings
}

/** @internal */
export const normalize = (c: Credentials): Registered => ({
  appKey: c.appKey,
  appSecurity: c.appSecurity,
  scope: c.scope ?? "tenant",
  corpId: c.corpId ?? `SIMcorp${c.appKey.slice(0, 8)}`
})

const count = (counts: Counts, endpoint: Endpoint, outcome: Outcome | undefined): Counts => {
  if (outcome === undefined) {
    return { ...counts, received: { ...counts.received, [endpoint]: (counts.received[endpoint] ?? 0) + 1 } }
  }
  const forEndpoint = counts.outcomes[endpoint] ?? {}
  return {
    ...counts,
    outcomes: { ...counts.outcomes, [endpoint]: { ...forEndpoint, [outcome]: (forEndpoint[outcome] ?? 0) + 1 } }
  }
}

/** Counts a request received by `endpoint`, or one that ended with `outcome`. @internal */
export const record = (sim: Sim, endpoint: Endpoint, outcome?: Outcome) =>
  Ref.update(sim.state, (s) => ({ ...s, counts: count(s.counts, endpoint, outcome) }))

/** The server's clock: the caller's, moved by the skew. @internal */
export const serverNow = (sim: Sim) => Effect.zipWith(Clock.currentTimeMillis, Ref.get(sim.state), (now, s) => now + s.skew)

/** A JSON answer, with the server's `Date` header. @internal */
export const respond = (sim: Sim, body: unknown, status = 200) =>
  Effect.map(serverNow(sim), (now) =>
    HttpServerResponse.jsonUnsafe(body, {
      status,
      headers: sim.settings.sendDate ? { date: new Date(now).toUTCString() } : {}
    }))

/** A text answer, with the server's `Date` header. @internal */
export const respondText = (sim: Sim, body: string, status: number, contentType = "text/html") =>
  Effect.map(serverNow(sim), (now) =>
    HttpServerResponse.text(body, {
      status,
      contentType,
      headers: sim.settings.sendDate ? { date: new Date(now).toUTCString() } : {}
    }))

/** A random 32-hex-digit trace id, as Hosecloud sends. @internal */
export const traceId = Effect.map(
  Effect.all(Array.from({ length: 4 }, () => Random.nextIntBetween(0, 0x10000 * 0x10000, { halfOpen: true }))),
  (parts) => parts.map((n) => n.toString(16).padStart(8, "0")).join("")
)

/** Remembers a trace id sent with a system error. @internal */
export const sentTraceId = (sim: Sim, id: string) =>
  Ref.update(sim.state, (s) => ({ ...s, traceIdsSent: Chunk.append(s.traceIdsSent, id) }))

const takeScripted = (sim: Sim, target: Target) =>
  Ref.modify(sim.state, (s): [Option.Option<Fault>, State] => {
    const [first, ...rest] = s.faults[target]
    return first === undefined ? [Option.none(), s] : [Option.some(first), { ...s, faults: { ...s.faults, [target]: rest } }]
  })

/** The scripted fault first, then an outage, then a random one. @internal */
export const nextFault = (sim: Sim, target: Target): Effect.Effect<Option.Option<Fault>> =>
  Effect.flatMap(takeScripted(sim, target), (first) => {
    if (Option.isSome(first)) return Effect.succeed(first)
    return Effect.flatMap(Ref.get(sim.state), (s) => {
      const down = s.down[target]
      if (down !== undefined) return Effect.succeedSome(down)
      const { faults, probability } = s.random[target]
      if (probability <= 0 || faults.length === 0) return Effect.succeedNone
      return Effect.flatMap(Random.next, (roll) =>
        roll >= probability
          ? Effect.succeedNone
          : Effect.map(Random.nextIntBetween(0, faults.length, { halfOpen: true }), (i) => Option.some(faults[i])))
    })
  })

/** Applies the next fault of `target`: a delay holds the request, anything else answers it. @internal */
export const withFaults = <E, R>(
  sim: Sim,
  target: Target,
  onFault: (fault: Fault) => Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
  normal: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R> =>
  Effect.flatMap(nextFault(sim, target), (fault) => {
    if (Option.isNone(fault)) return normal
    if (fault.value._tag === "Delay") return Effect.andThen(Effect.sleep(fault.value.duration), normal)
    return onFault(fault.value)
  })

const CredentialsBody = Schema.Struct({ appKey: Schema.NonEmptyString, appSecurity: Schema.NonEmptyString })

/** The credentials in a request's JSON body: `Ok`, `Invalid` (unknown), or `Missing` (absent or empty). @internal */
export const checkCredentials = (sim: Sim) =>
  HttpServerRequest.schemaBodyJson(CredentialsBody).pipe(
    Effect.option,
    Effect.zipWith(Ref.get(sim.state), (body, s) => {
      if (Option.isNone(body)) return { _tag: "Missing" as const }
      const known = HashMap.get(s.credentials, body.value.appKey)
      return Option.isSome(known) && known.value.appSecurity === body.value.appSecurity
        ? { _tag: "Ok" as const, credentials: known.value }
        : { _tag: "Invalid" as const }
    })
  )

const base64url = (text: string): string => {
  const bytes = new TextEncoder().encode(text)
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

const makeJwt = (claims: Record<string, unknown>): string =>
  `${base64url(JSON.stringify({ typ: "JWT", alg: "RS256" }))}.${base64url(JSON.stringify(claims))}.${
    base64url(`simulated-signature-${String(claims["rnStr"])}`)
  }`

/** Issues a token for `credentials`, living `lifetime` (default: the simulator's) in the server's clock. @internal */
export const issue = (sim: Sim, credentials: Registered, lifetime?: number) =>
  Effect.gen(function*() {
    const now = yield* serverNow(sim)
    const noise = yield* traceId
    return yield* Ref.modify(sim.state, (s): [Issued, State] => {
      const serial = s.serial + 1
      const expiresTime = now + (lifetime ?? s.lifetime)
      const accessToken = makeJwt({
        loginType: "login",
        loginId: `sim-${credentials.appKey}`,
        rnStr: `${noise}${serial}`,
        corporationId: credentials.corpId,
        userId: `sim-${credentials.appKey}`,
        exp: Math.floor(expiresTime / 1000),
        scope: credentials.scope,
        version: 1,
        shortTermToken: false
      })
      const issued: Issued = {
        accessToken,
        refreshToken: `SIMrefresh${serial}${noise}`,
        corpId: credentials.corpId,
        scope: credentials.scope,
        expiresTime,
        skew: s.skew,
        revoked: false
      }
      return [issued, {
        ...s,
        serial,
        tokens: HashMap.set(s.tokens, accessToken, issued),
        issueOrder: Chunk.append(s.issueOrder, accessToken),
        refreshTokens: HashMap.set(s.refreshTokens, issued.refreshToken, accessToken)
      }]
    })
  })

/** Revokes one token, or every token. @internal */
export const revoke = (sim: Sim, accessToken?: string) =>
  Ref.update(sim.state, (s) => ({
    ...s,
    tokens: accessToken === undefined
      ? HashMap.map(s.tokens, (issued) => ({ ...issued, revoked: true }))
      : HashMap.modify(s.tokens, accessToken, (issued) => ({ ...issued, revoked: true }))
  }))

/** The valid token a request presents (query parameter or header), if any. @internal */
export const authorize = (sim: Sim, token: string | undefined) =>
  Effect.zipWith(serverNow(sim), Ref.get(sim.state), (now, s) =>
    Option.filter(
      HashMap.get(s.tokens, token ?? ""),
      (issued) => !issued.revoked && issued.expiresTime > now
    ))
