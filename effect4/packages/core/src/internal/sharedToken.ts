/**
 * One token for a fleet: before a replica asks Hosecloud, it looks in the shared store; if the stored
 * token is still good it takes that, otherwise one replica takes the lease, fetches and writes with
 * compare-and-set while the others poll the store. A store that fails is not fatal: the replica fetches
 * on its own (its in-process single flight still holds) and logs a Warning.
 *
 * The lease is short (3 seconds by default) and renewed by its holder while it fetches, so a replica that
 * dies holding it costs the others that long at most. With `encryptionKey`, the store key carries the key's
 * fingerprint: replicas with one key share one entry, replicas with another key keep their own, and a
 * holder that finds another group's fingerprint on the credentials' marker says so once.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as HashSet from "effect/HashSet"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as AccessToken from "../AccessToken.js"
import type * as AuthError from "../AuthError.js"
import * as TokenStore from "../TokenStore.js"
import * as Secrets from "./secrets.js"

/** @internal */
export interface Obtained {
  readonly token: AccessToken.AccessToken
  readonly source: "upstream" | "store"
}

/** @internal */
export interface Coordinator {
  /**
   * A token from the store, or from `fetch` by one replica of the fleet. `replacing` is the token a
   * refresh replaces: the store never hands that one back.
   */
  readonly obtain: (
    fetch: Effect.Effect<Obtained, AuthError.AuthError>,
    replacing: AccessToken.AccessToken | undefined
  ) => Effect.Effect<Obtained, AuthError.AuthError>
  readonly invalidate: (token: AccessToken.AccessToken) => Effect.Effect<void>
}

const decodeStored = Schema.decodeUnknownOption(Schema.fromJsonString(TokenStore.StoredToken))

const encode = (token: AccessToken.AccessToken): string =>
  JSON.stringify({
    v: 1,
    corpId: token.corpId,
    accessToken: Redacted.value(token.accessToken),
    refreshToken: Redacted.value(token.refreshToken),
    scope: token.scope,
    expiresAt: DateTime.toEpochMillis(token.expiresAt),
    issuedAt: DateTime.toEpochMillis(token.issuedAt)
  } satisfies typeof TokenStore.StoredToken.Type)

/** The stored token, if its times are valid dates. */
const toToken = (stored: typeof TokenStore.StoredToken.Type): Option.Option<AccessToken.AccessToken> =>
  Option.zipWith(DateTime.make(stored.expiresAt), DateTime.make(stored.issuedAt), (expiresAt, issuedAt) =>
    new AccessToken.AccessToken({
      corpId: stored.corpId,
      accessToken: Redacted.make(stored.accessToken),
      refreshToken: Redacted.make(stored.refreshToken),
      scope: stored.scope,
      expiresAt: DateTime.toUtc(expiresAt),
      issuedAt: DateTime.toUtc(issuedAt)
    }))

/** One replica's view of the fleet's store. */
interface Fleet {
  readonly store: TokenStore.Service
  /** Where this replica's group keeps its token: the credentials' key, and the key's fingerprint if any. */
  readonly key: string
  readonly leaseKey: string
  /** Where the group that wrote last names itself (its fingerprint), for the others to see. */
  readonly groupKey: string
  /** This replica's group: the fingerprint of its `encryptionKey`, or `none`. */
  readonly group: string
  /** The other groups this replica has warned about. */
  readonly warned: Ref.Ref<HashSet.HashSet<string>>
  readonly leaseTtl: Duration.Duration
  readonly windowMillis: number
  readonly cipher: ReturnType<typeof TokenStore.cipher> | undefined
  /** Secrets of the store side (`encryptionKey`), masked in whatever text reaches a log or a caller. */
  readonly secrets: ReadonlyArray<string>
  /** A unique holder name per lease taken. */
  readonly nextHolder: Effect.Effect<string>
}

const noKey = "none"

const seal = (fleet: Fleet, token: AccessToken.AccessToken) =>
  fleet.cipher === undefined ? Effect.succeed(encode(token)) : fleet.cipher.encrypt(encode(token), fleet.key)

/** Why a stored value cannot be used, in words for a Warning. */
type Unreadable = string

/** The stored token, or why it cannot be read: not decrypted, not parsed, or claiming an implausible life. */
const open = (fleet: Fleet, raw: string, now: number) =>
  Effect.map(
    fleet.cipher === undefined ? Effect.succeed(Option.some(raw)) : fleet.cipher.decrypt(raw, fleet.key),
    (plain): Result.Result<typeof TokenStore.StoredToken.Type, Unreadable> => {
      if (Option.isNone(plain)) {
        return Result.fail(
          raw.startsWith(`${TokenStore.sealedFormat}:`)
            ? "a stored token does not open with this replica's encryptionKey under this key (sealed for another key, or altered): it is neither served nor overwritten"
            : /^enc\d+:/.test(raw)
            ? "a stored token is in a sealed format this version does not read: it is neither served nor overwritten, and expires with its token"
            : "a stored token is not sealed, and this replica has an encryptionKey: is something else writing to this key?"
        )
      }
      const stored = decodeStored(plain.value)
      if (Option.isNone(stored)) {
        return Result.fail(
          /^enc\d+:/.test(plain.value)
            ? "a stored token is encrypted, and this replica has no encryptionKey: do all replicas share one?"
            : "a stored token could not be read: is something else writing to this key?"
        )
      }
      const { expiresAt, issuedAt } = stored.value
      const bound = Duration.toMillis(AccessToken.maxLifetime)
      if (expiresAt - issuedAt > bound || expiresAt - now > bound || issuedAt - now > Duration.toMillis(AccessToken.maxClockSkew)) {
        return Result.fail(
          "a stored token claims an implausible lifetime and is ignored: is something else writing to this key?"
        )
      }
      return Result.succeed(stored.value)
    }
  )

interface Seen {
  readonly raw: Option.Option<string>
  readonly usable: Option.Option<Obtained>
  /** The stored value cannot be used: this replica neither takes it nor overwrites it. */
  readonly unreadable: Option.Option<Unreadable>
}

/** The stored token, if it has not reached its refresh time yet and is not the one being replaced. */
const read = (fleet: Fleet, replacing: AccessToken.AccessToken | undefined): Effect.Effect<Seen, TokenStore.StoreError> =>
  Effect.gen(function*() {
    const raw = yield* fleet.store.get(fleet.key)
    if (Option.isNone(raw)) return { raw, usable: Option.none(), unreadable: Option.none() }
    const now = yield* Clock.currentTimeMillis
    const opened = yield* open(fleet, raw.value, now)
    if (Result.isFailure(opened)) return { raw, usable: Option.none(), unreadable: Option.some(opened.failure) }
    const s = opened.success
    const window = Math.min(fleet.windowMillis, (s.expiresAt - s.issuedAt) / 2)
    const fresh = now < s.expiresAt - window &&
      (replacing === undefined || s.accessToken !== Redacted.value(replacing.accessToken))
    return {
      raw,
      usable: fresh ? Option.map(toToken(s), (token): Obtained => ({ token, source: "store" })) : Option.none(),
      unreadable: Option.none()
    }
  })

/**
 * A stored value this replica cannot read is left alone (another replica may well read it): the replica
 * says so, and serves a token of its own in-process.
 */
const onItsOwn = (fetch: Effect.Effect<Obtained, AuthError.AuthError>, why: Unreadable) =>
  Effect.andThen(Effect.logWarning(`Hosecloud token store: ${why}`), fetch)

const fallback = (fleet: Fleet, fetch: Effect.Effect<Obtained, AuthError.AuthError>) => (error: TokenStore.StoreError) =>
  Effect.andThen(
    Effect.logWarning("Hosecloud token store unavailable; using the in-process cache").pipe(
      Effect.annotateLogs({ operation: error.operation, detail: Secrets.scrub(error.description, fleet.secrets) })
    ),
    fetch
  )

/**
 * While its holder fetches, the lease is renewed every third of its time (a compare-and-set that only
 * its holder wins), until the holder is done or has lost it.
 */
const renewing = (fleet: Fleet, holder: string, leaseTtl: Duration.Duration): Effect.Effect<void> =>
  fleet.store.compareAndSet(fleet.leaseKey, Option.some(holder), holder, leaseTtl).pipe(
    Effect.delay(Duration.millis(Math.max(1, Duration.toMillis(leaseTtl) / 3))),
    Effect.repeat({ while: (renewed) => renewed }),
    Effect.ignore
  )

/**
 * After a write: the group that wrote names itself on the credentials' marker. A holder that finds another
 * group's name there warns once about that group, naming both fingerprints (never a key).
 */
const announce = (fleet: Fleet, ttl: Duration.Duration): Effect.Effect<void> =>
  Effect.gen(function*() {
    const named = yield* fleet.store.get(fleet.groupKey)
    if (Option.isSome(named) && named.value !== fleet.group) {
      const other = named.value
      const first = yield* Ref.modify(fleet.warned, (seen) =>
        HashSet.has(seen, other) ? [false, seen] as const : [true, HashSet.add(seen, other)] as const)
      if (first) {
        yield* Effect.logWarning(
          "Hosecloud token store: replicas with another encryptionKey share these credentials; each group keeps its own token"
        ).pipe(Effect.annotateLogs({ thisGroup: fleet.group, otherGroup: other }))
      }
    }
    if (Option.isNone(named) || named.value !== fleet.group) {
      yield* fleet.store.compareAndSet(fleet.groupKey, named, fleet.group, ttl)
    }
  }).pipe(Effect.ignore)

/** With the lease: fetch, and write the token unless someone wrote a newer one meanwhile. */
const asHolder = (
  fleet: Fleet,
  holder: string,
  leaseTtl: Duration.Duration,
  fetch: Effect.Effect<Obtained, AuthError.AuthError>,
  replacing: AccessToken.AccessToken | undefined
): Effect.Effect<Obtained, AuthError.AuthError | TokenStore.StoreError> =>
  Effect.gen(function*() {
    yield* Effect.forkScoped(renewing(fleet, holder, leaseTtl))
    // someone may have written between our read and our lease
    const again = yield* read(fleet, replacing)
    if (Option.isSome(again.usable)) return again.usable.value
    if (Option.isSome(again.unreadable)) return yield* onItsOwn(fetch, again.unreadable.value)
    const fetched = yield* fetch
    const now = yield* Clock.currentTimeMillis
    const ttl = Duration.millis(Math.max(1, DateTime.toEpochMillis(fetched.token.expiresAt) - now))
    const wrote = yield* Effect.flatMap(seal(fleet, fetched.token), (value) =>
      fleet.store.compareAndSet(fleet.key, again.raw, value, ttl)).pipe(
        Effect.catch((error) =>
          Effect.as(
            Effect.logWarning("Hosecloud token store write failed").pipe(
              Effect.annotateLogs({ detail: Secrets.scrub(error.description, fleet.secrets) })
            ),
            false
          )
        )
      )
    if (wrote) yield* announce(fleet, ttl)
    else yield* Effect.logDebug("Hosecloud token store holds a newer token; the fetched one was not written")
    return fetched
  }).pipe(
    // the renewal stops first, then the lease is given back
    Effect.scoped,
    Effect.ensuring(Effect.ignore(fleet.store.releaseLease(fleet.leaseKey, holder)))
  )

/**
 * How long one replica may hold the lease: `leaseTtl`, but never longer than the refresh window of the
 * token being replaced (or `refreshWindow` at a cold start), so that a dead holder is replaced while the
 * old token is still served.
 */
const leaseFor = (fleet: Fleet, replacing: AccessToken.AccessToken | undefined): Duration.Duration => {
  const window = replacing === undefined
    ? fleet.windowMillis
    : Math.min(fleet.windowMillis, (replacing.expiresAt.epochMilliseconds - replacing.issuedAt.epochMilliseconds) / 2)
  return Duration.millis(Math.max(1000, Math.min(Duration.toMillis(fleet.leaseTtl), window)))
}

/** Another replica holds the lease: wait for its token. */
class Busy {
  readonly _tag = "Busy"
}

const obtain = (
  fleet: Fleet,
  fetch: Effect.Effect<Obtained, AuthError.AuthError>,
  replacing: AccessToken.AccessToken | undefined
): Effect.Effect<Obtained, AuthError.AuthError> =>
  Effect.flatMap(fleet.nextHolder, (holder) => {
    const leaseTtl = leaseFor(fleet, replacing)
    const once: Effect.Effect<Obtained, AuthError.AuthError | TokenStore.StoreError | Busy> = Effect.flatMap(
      read(fleet, replacing),
      (seen) =>
        Option.isSome(seen.usable)
          ? Effect.succeed(seen.usable.value)
          : Option.isSome(seen.unreadable)
          ? onItsOwn(fetch, seen.unreadable.value)
          : Effect.flatMap(
            fleet.store.acquireLease(fleet.leaseKey, holder, leaseTtl),
            (taken): Effect.Effect<Obtained, AuthError.AuthError | TokenStore.StoreError | Busy> =>
              taken ? asHolder(fleet, holder, leaseTtl, fetch, replacing) : Effect.fail(new Busy())
          )
    )
    // poll the store while others hold the lease: 25 ms growing to 250 ms, for two lease times at most
    const polling = Schedule.min([Schedule.exponential("25 millis", 1.5), Schedule.spaced("250 millis")]).pipe(
      Schedule.upTo({ duration: Duration.times(leaseTtl, 2) })
    )
    return once.pipe(
      Effect.retry({ schedule: polling, while: (error) => error._tag === "Busy" }),
      Effect.catchTags({
        // the leases keep being taken and nothing good is written: stop waiting on the others
        Busy: () =>
          Effect.andThen(Effect.logWarning("Hosecloud token store: no token from the lease holders; fetching"), fetch),
        StoreError: fallback(fleet, fetch)
      })
    )
  })

const invalidate = (fleet: Fleet, token: AccessToken.AccessToken): Effect.Effect<void> =>
  Effect.gen(function*() {
    const raw = yield* fleet.store.get(fleet.key)
    if (Option.isNone(raw)) return
    const stored = yield* open(fleet, raw.value, yield* Clock.currentTimeMillis)
    if (Result.isSuccess(stored) && stored.success.accessToken === Redacted.value(token.accessToken)) {
      yield* fleet.store.compareAndDelete(fleet.key, raw.value)
    }
  }).pipe(
    Effect.catch((error) =>
      Effect.logWarning("Hosecloud token store unavailable while dropping a token").pipe(
        Effect.annotateLogs({ detail: Secrets.scrub(error.description, fleet.secrets) })
      )
    )
  )

/** The default lease: short, because its holder renews it while it fetches. @internal */
export const defaultLeaseTtl = "3 seconds"

/** @internal */
export const make = (
  options: TokenStore.SharingOptions,
  refreshWindow: Duration.Duration
): Effect.Effect<Coordinator> =>
  Effect.gen(function*() {
    const prefix = (yield* Random.nextIntBetween(0, 2 ** 31, { halfOpen: true })).toString(36)
    const holders = yield* Ref.make(0)
    const cipher = options.encryptionKey === undefined ? undefined : TokenStore.cipher(options.encryptionKey)
    const group = cipher === undefined ? noKey : yield* cipher.fingerprint
    // each key's group has an entry of its own: another key can neither take nor block it
    const key = cipher === undefined ? options.key : `${options.key}:k${group}`
    const secrets = options.encryptionKey === undefined ? [] : Secrets.values([options.encryptionKey])
    const fleet: Fleet = {
      store: options.store,
      key,
      leaseKey: TokenStore.leaseKeyOf(key),
      groupKey: `${options.key}:group`,
      group,
      warned: yield* Ref.make(HashSet.empty<string>()),
      leaseTtl: Duration.fromInputUnsafe(options.leaseTtl ?? defaultLeaseTtl),
      windowMillis: Duration.toMillis(refreshWindow),
      cipher,
      secrets,
      nextHolder: Effect.map(Ref.updateAndGet(holders, (n) => n + 1), (n) => `${prefix}-${n}`)
    }
    // a server cannot know the encryptionKey, but a key reused as appSecurity would be echoed like it
    const scrubbed = (fetch: Effect.Effect<Obtained, AuthError.AuthError>) =>
      secrets.length === 0 ? fetch : Effect.mapError(fetch, (error) => Secrets.scrubAuthError(error, secrets))
    return {
      obtain: (fetch, replacing) => obtain(fleet, scrubbed(fetch), replacing),
      invalidate: (token) => invalidate(fleet, token)
    }
  })
