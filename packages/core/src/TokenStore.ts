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
export class TokenStore extends Context.Tag("@effect-hosecloud/core/TokenStore")<TokenStore, Service>() {}

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
    get: (key) => Effect.map(Clock.currentTimeMillis, (now) => Option.map(Option.fromNullable(live(key, now)), (e) => e.value)),
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
  /** How long a replica may hold the lease while it fetches. Default 15 seconds. */
  readonly leaseTtl?: Duration.DurationInput | undefined
  /** Encrypt tokens at rest (AES-GCM) with a key derived from this secret. Default: stored as JSON. */
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
  scope: Schema.Literal("tenant", "platform"),
  expiresAt: Schema.Number,
  issuedAt: Schema.Number
})

/**
 * Encrypts and decrypts stored values with AES-GCM (Web Crypto, so it runs anywhere Effect does).
 *
 * @since 0.1.0
 * @category codec
 */
export const cipher = (secret: Redacted.Redacted<string>) => {
  const key = Effect.promise(async () => {
    const material = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(Redacted.value(secret)))
    return crypto.subtle.importKey("raw", material, "AES-GCM", false, ["encrypt", "decrypt"])
  }).pipe(Effect.cached, Effect.runSync)
  return {
    encrypt: (plain: string) =>
      Effect.flatMap(key, (k) =>
        Effect.promise(async () => {
          const iv = crypto.getRandomValues(new Uint8Array(12))
          const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, k, new TextEncoder().encode(plain)))
          const all = new Uint8Array(iv.length + sealed.length)
          all.set(iv)
          all.set(sealed, iv.length)
          return `enc1:${btoa(String.fromCharCode(...all))}`
        })),
    decrypt: (stored: string): Effect.Effect<Option.Option<string>> =>
      Effect.flatMap(key, (k) =>
        Effect.promise(async () => {
          if (!stored.startsWith("enc1:")) return Option.none()
          try {
            const all = Uint8Array.from(atob(stored.slice(5)), (c) => c.charCodeAt(0))
            const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: all.slice(0, 12) }, k, all.slice(12))
            return Option.some(new TextDecoder().decode(plain))
          } catch {
            return Option.none()
          }
        }))
  }
}
