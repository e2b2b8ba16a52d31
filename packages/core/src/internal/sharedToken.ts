/**
 * One token for a fleet: before a replica asks Hosecloud, it looks in the shared store; if the stored
 * token is still good it takes that, otherwise one replica takes the lease, fetches and writes with
 * compare-and-set while the others poll the store. A store that fails is not fatal: the replica fetches
 * on its own (its in-process single flight still holds) and logs a Warning.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as AccessToken from "../AccessToken.js"
import type * as AuthError from "../AuthError.js"
import * as TokenStore from "../TokenStore.js"

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

const decodeStored = Schema.decodeUnknownOption(Schema.parseJson(TokenStore.StoredToken))

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

/** @internal */
export const make = (
  options: TokenStore.SharingOptions,
  refreshWindow: Duration.Duration
): Effect.Effect<Coordinator> =>
  Effect.gen(function*() {
    const { key, store } = options
    const leaseKey = TokenStore.leaseKeyOf(key)
    const leaseTtl = Duration.decode(options.leaseTtl ?? "15 seconds")
    const windowMillis = Duration.toMillis(refreshWindow)
    const cipher = options.encryptionKey === undefined ? undefined : TokenStore.cipher(options.encryptionKey)
    const holderPrefix = (yield* Random.nextIntBetween(0, 2 ** 31)).toString(36)
    let holders = 0

    const seal = (token: AccessToken.AccessToken) =>
      cipher === undefined ? Effect.succeed(encode(token)) : cipher.encrypt(encode(token))
    const open = (raw: string) =>
      Effect.map(
        cipher === undefined ? Effect.succeed(Option.some(raw)) : cipher.decrypt(raw),
        Option.flatMap(decodeStored)
      )

    /** The stored token, if it has not reached its refresh time yet and is not the one being replaced. */
    const read = (replacing: AccessToken.AccessToken | undefined) =>
      Effect.gen(function*() {
        const raw = yield* store.get(key)
        if (Option.isNone(raw)) return { raw, usable: Option.none<Obtained>() }
        const stored = yield* open(raw.value)
        const now = yield* Clock.currentTimeMillis
        const usable = Option.filter(stored, (s) => {
          const window = Math.min(windowMillis, (s.expiresAt - s.issuedAt) / 2)
          return now < s.expiresAt - window &&
            (replacing === undefined || s.accessToken !== Redacted.value(replacing.accessToken))
        })
        return {
          raw,
          usable: Option.map(Option.flatMap(usable, toToken), (token): Obtained => ({ token, source: "store" }))
        }
      })

    const fallback = (fetch: Effect.Effect<Obtained, AuthError.AuthError>) => (error: TokenStore.StoreError) =>
      Effect.zipRight(
        Effect.logWarning("Hosecloud token store unavailable; using the in-process cache").pipe(
          Effect.annotateLogs({ operation: error.operation, detail: error.description })
        ),
        fetch
      )

    const asHolder = (
      holder: string,
      fetch: Effect.Effect<Obtained, AuthError.AuthError>,
      replacing: AccessToken.AccessToken | undefined
    ): Effect.Effect<Obtained, AuthError.AuthError | TokenStore.StoreError> =>
      Effect.gen(function*() {
        // someone may have written between our read and our lease
        const again = yield* read(replacing)
        if (Option.isSome(again.usable)) return again.usable.value
        const fetched = yield* fetch
        const now = yield* Clock.currentTimeMillis
        const ttl = Duration.millis(Math.max(1, DateTime.toEpochMillis(fetched.token.expiresAt) - now))
        const wrote = yield* Effect.flatMap(seal(fetched.token), (value) =>
          store.compareAndSet(key, again.raw, value, ttl)).pipe(
            Effect.catchAll((error) =>
              Effect.as(
                Effect.logWarning("Hosecloud token store write failed").pipe(
                  Effect.annotateLogs({ detail: error.description })
                ),
                false
              )
            )
          )
        if (!wrote) yield* Effect.logDebug("Hosecloud token store holds a newer token; the fetched one was not written")
        return fetched
      }).pipe(
        Effect.ensuring(Effect.ignore(store.releaseLease(leaseKey, holder)))
      )

    const obtain = (
      fetch: Effect.Effect<Obtained, AuthError.AuthError>,
      replacing: AccessToken.AccessToken | undefined
    ): Effect.Effect<Obtained, AuthError.AuthError> =>
      Effect.gen(function*() {
        const holder = `${holderPrefix}-${++holders}`
        const deadline = (yield* Clock.currentTimeMillis) + 2 * Duration.toMillis(leaseTtl)
        let pause = 25
        while (true) {
          const seen = yield* read(replacing)
          if (Option.isSome(seen.usable)) return seen.usable.value
          if (yield* store.acquireLease(leaseKey, holder, leaseTtl)) return yield* asHolder(holder, fetch, replacing)
          if ((yield* Clock.currentTimeMillis) > deadline) {
            // the leases keep being taken and nothing good is written: stop waiting on the others
            yield* Effect.logWarning("Hosecloud token store: no token from the lease holders; fetching")
            return yield* fetch
          }
          yield* Effect.sleep(Duration.millis(pause))
          pause = Math.min(Math.ceil(pause * 1.5), 250)
        }
      }).pipe(
        Effect.catchTag("StoreError", fallback(fetch))
      )

    const invalidate = (token: AccessToken.AccessToken): Effect.Effect<void> =>
      Effect.gen(function*() {
        const raw = yield* store.get(key)
        if (Option.isNone(raw)) return
        const stored = yield* open(raw.value)
        if (Option.isSome(stored) && stored.value.accessToken === Redacted.value(token.accessToken)) {
          yield* store.compareAndDelete(key, raw.value)
        }
      }).pipe(
        Effect.catchAll((error) =>
          Effect.logWarning("Hosecloud token store unavailable while dropping a token").pipe(
            Effect.annotateLogs({ detail: error.description })
          )
        )
      )

    return { obtain, invalidate }
  })
