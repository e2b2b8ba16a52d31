/**
 * Where replicas that share credentials share their token. A store holds opaque strings under keys, with
 * three operations an engine such as Redis offers atomically: read, compare-and-set, and a lease (a lock
 * that expires by itself). `HosecloudAuth` with a store fetches at most one token per refresh for the
 * whole fleet; this module has the service, an in-memory store, and the key and codec it uses.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Encoding from "./internal/encoding.js"
import * as Secrets from "./internal/secrets.js"

/**
 * The store could not be used (unreachable, timed out, refused). `HosecloudAuth` then falls back to its
 * in-process cache and says so in a Warning log line.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreError extends Schema.TaggedError<StoreError>("@effect-hosecloud/core/StoreError")("StoreError", {
  operation: Schema.String,
  description: Schema.String
}) {
  override get message(): string {
    return `token store ${this.operation} failed: ${this.description}`
  }
}

/**
 * A `StoreError` whose description is scrubbed of `secrets` (a store's password, say) in every form they
 * can take, for stores that quote their client's errors.
 *
 * @since 0.3.0
 * @category errors
 */
export const storeError = (
  operation: string,
  description: string,
  secrets: ReadonlyArray<Redacted.Redacted<string>> = []
): StoreError => new StoreError({ operation, description: Secrets.scrub(description, Secrets.values(secrets)) })

/**
 * A shared store of tokens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly get: (key: string) => Effect.Effect<Option.Option<string>, StoreError>
  /**
   * Writes `value` (expiring after `ttl`) only if the key holds `expected` now (`None`: holds nothing).
   * Answers whether it wrote.
   */
  readonly compareAndSet: (
    key: string,
    expected: Option.Option<string>,
    value: string,
    ttl: Duration.Duration
  ) => Effect.Effect<boolean, StoreError>
  /** Removes the key only if it holds `expected`. */
  readonly compareAndDelete: (key: string, expected: string) => Effect.Effect<boolean, StoreError>
  /** Takes the lease `key` for `holder` if nobody holds it; it expires after `ttl`. */
  readonly acquireLease: (key: string, holder: string, ttl: Duration.Duration) => Effect.Effect<boolean, StoreError>
  /** Gives the lease back, only if `holder` still holds it. */
  readonly releaseLease: (key: string, holder: string) => Effect.Effect<void, StoreError>
}

/**
 * The tag of the shared store.
 *
 * @since 0.1.0
 * @category tags
 */
export class TokenStore extends Context.Service<TokenStore, Service>()("@effect-hosecloud/core/TokenStore") {}

/**
 * A store in this process's memory (for one process, and for tests). Entries expire by the Effect clock.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const entries = new Map<string, { readonly value: string; readonly until: number }>()
  const live = (key: string, now: number) => {
    const entry = entries.get(key)
    if (entry !== undefined && entry.until <= now) entries.delete(key)
    return entries.get(key)
  }
  return {
    get: (key) => Effect.map(Clock.currentTimeMillis, (now) => Option.map(Option.fromNullishOr(live(key, now)), (e) => e.value)),
    compareAndSet: (key, expected, value, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const current = live(key, now)?.value
        if (current !== Option.getOrUndefined(expected)) return false
        entries.set(key, { value, until: now + Duration.toMillis(ttl) })
        return true
      }),
    compareAndDelete: (key, expected) =>
      Effect.map(Clock.currentTimeMillis, (now) => live(key, now)?.value === expected && entries.delete(key)),
    acquireLease: (key, holder, ttl) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (live(key, now) !== undefined) return false
        entries.set(key, { value: holder, until: now + Duration.toMillis(ttl) })
        return true
      }),
    releaseLease: (key, holder) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        if (live(key, now)?.value === holder) entries.delete(key)
      })
  }
})

/**
 * An in-memory store in the context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenStore> = Layer.effect(TokenStore, makeMemory)

/**
 * How `HosecloudAuth` shares its token through a store.
 *
 * @since 0.1.0
 * @category models
 */
export interface SharingOptions {
  readonly store: Service
  /** The store key of these credentials; see `keyFor`. */
  readonly key: string
  /**
   * How long a lease lasts unless its holder renews it; the holder renews it every third of this while it
   * fetches, so a replica that dies holding it delays the others by this much at most. Default 3 seconds.
   */
  readonly leaseTtl?: Duration.Input | undefined
  /**
   * Encrypt tokens at rest (AES-256-GCM, the key derived with HKDF) with this random key of at least 32
   * characters. Replicas with one key share one entry; replicas with another key keep their own. Default:
   * stored as JSON.
   */
  readonly encryptionKey?: Redacted.Redacted<string> | undefined
}

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * The store key of a set of credentials: a SHA-256 of the token host and `appKey`, never the key itself.
 *
 * @since 0.1.0
 * @category keys
 */
export const keyFor = (options: { readonly appKey: string; readonly authUrl: string; readonly prefix?: string }) =>
  Effect.map(
    Effect.promise(() => crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${options.authUrl}\n${options.appKey}`))),
    (digest) => `${options.prefix ?? "hosecloud"}:token:${hex(digest).slice(0, 32)}`
  )

/**
 * The lease key that goes with a token key.
 *
 * @since 0.1.0
 * @category keys
 */
export const leaseKeyOf = (key: string): string => `${key}:lease`

/**
 * The stored form of a token: no `appSecurity`, ever.
 *
 * @since 0.1.0
 * @category codec
 */
export const StoredToken = Schema.Struct({
  v: Schema.Literal(1),
  corpId: Schema.String,
  accessToken: Schema.String,
  refreshToken: Schema.String,
  scope: Schema.Literals(["tenant", "platform"]),
  expiresAt: Schema.Number,
  issuedAt: Schema.Number
})

/**
 * The format of a sealed value: `enc2:` and the base64 of a 12-byte IV and the AES-GCM ciphertext. The
 * first format (`enc1:`, a key that was one SHA-256 of `encryptionKey`, bound to nothing) is not read.
 *
 * @since 0.3.0
 * @category codec
 */
export const sealedFormat = "enc2"

// fixed labels of the derivation: one input key, two unrelated outputs
const hkdfSalt = new TextEncoder().encode("effect-hosecloud token store")
const cipherInfo = new TextEncoder().encode(`${sealedFormat} aes-256-gcm`)
const fingerprintInfo = new TextEncoder().encode(`${sealedFormat} fingerprint`)

/**
 * Encrypts and decrypts stored values with AES-256-GCM (Web Crypto, so it runs anywhere Effect does).
 *
 * - The AES key is derived from `secret` with HKDF-SHA-256: `secret` must be a random key (the options
 *   of `HosecloudAuth` require at least 32 characters, e.g. `openssl rand -base64 32`), not a password.
 * - Each value is sealed with the store key it is written under (and the format version) as associated
 *   data: a value copied under another key does not open there.
 * - `fingerprint` names the key without revealing it: 16 hex digits, derived from `secret` by HKDF with
 *   another label. Replicas use it to keep the entries of different keys apart.
 *
 * Values of any size go through (no argument spreading).
 *
 * @since 0.1.0
 * @category codec
 */
export const cipher = (secret: Redacted.Redacted<string>) => {
  const keys = Effect.promise(async () => {
    const material = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(Redacted.value(secret)),
      "HKDF",
      false,
      ["deriveKey", "deriveBits"]
    )
    const aes = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: hkdfSalt, info: cipherInfo },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"]
    )
    const fingerprint = await crypto.subtle.deriveBits(
      { name: "HKDF", hash: "SHA-256", salt: hkdfSalt, info: fingerprintInfo },
      material,
      64
    )
    return { aes, fingerprint: hex(fingerprint) }
  }).pipe(Effect.cached, Effect.runSync)
  const associated = (place: string) => new TextEncoder().encode(`${sealedFormat}\n${place}`)
  const prefix = `${sealedFormat}:`
  return {
    fingerprint: Effect.map(keys, (k) => k.fingerprint),
    /** Seals `plain` for the store key `place`. */
    encrypt: (plain: string, place: string): Effect.Effect<string> =>
      Effect.flatMap(keys, ({ aes }) =>
        Effect.promise(async () => {
          const iv = crypto.getRandomValues(new Uint8Array(12))
          const sealed = new Uint8Array(
            await crypto.subtle.encrypt(
              { name: "AES-GCM", iv, additionalData: associated(place) },
              aes,
              new TextEncoder().encode(plain)
            )
          )
          const all = new Uint8Array(iv.length + sealed.length)
          all.set(iv)
          all.set(sealed, iv.length)
          return `${prefix}${Encoding.toBase64(all)}`
        })),
    /** Opens a value sealed for `place`: `None` when it is of another format, key or place, or altered. */
    decrypt: (stored: string, place: string): Effect.Effect<Option.Option<string>> =>
      Effect.flatMap(keys, ({ aes }) =>
        Effect.promise(async () => {
          if (!stored.startsWith(prefix)) return Option.none()
          const all = Encoding.fromBase64(stored.slice(prefix.length))
          if (all === undefined || all.length < 12 + 16) return Option.none()
          try {
            const plain = await crypto.subtle.decrypt(
              { name: "AES-GCM", iv: all.subarray(0, 12), additionalData: associated(place) },
              aes,
              all.subarray(12)
            )
            return Option.some(new TextDecoder().decode(plain))
          } catch {
            return Option.none()
          }
        }))
  }
}
