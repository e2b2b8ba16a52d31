/**
 * The shared token store on Redis (through `ioredis`): compare-and-set and lease release are Lua scripts,
 * so each is one atomic step on the server; the lease is `SET NX PX` with a unique holder. Commands fail
 * fast while Redis is away (no offline queue), so a replica falls back to its own cache at once and
 * comes back to the shared token when Redis does.
 *
 * @since 0.1.0
 */
import { type AuthError, TokenStore, Validation } from "@effect-hosecloud/core"
import * as Config from "effect/Config"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Redis, type RedisOptions } from "ioredis"
import { check } from "./internal/check.js"

const compareAndSetScript = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1`

const compareAndDeleteScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

/** Redis refused the client's credentials: a wrong password (`WRONGPASS`) or none (`NOAUTH`). */
const authFailure = (error: Error | undefined): string | undefined => {
  const match = error?.message.match(/^(WRONGPASS|NOAUTH)\b/)
  return match === null || match === undefined
    ? undefined
    : `Redis refused the credentials (${match[1]}): check the password in the Redis URL`
}

/**
 * What went wrong, in words an operator can act on. A client without an offline queue reports every
 * command it cannot send the same way ("Stream isn't writeable"), whether Redis is down or refused the
 * password: the connection's own last error tells which.
 */
const describeFailure = (cause: unknown, lastConnectionError: Error | undefined): string => {
  const message = cause instanceof Error ? cause.message : String(cause)
  const refused = authFailure(cause instanceof Error ? cause : undefined) ?? authFailure(lastConnectionError)
  if (refused !== undefined) return refused
  if (/Stream isn't writeable|Connection is closed/i.test(message)) {
    return `Redis cannot be reached${lastConnectionError === undefined ? "" : ` (${lastConnectionError.message})`}`
  }
  return message
}

/**
 * A store over an `ioredis` client the caller owns.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (redis: Redis): TokenStore.Service => {
  let lastConnectionError: Error | undefined
  redis.on("error", (error: Error) => {
    lastConnectionError = error
  })
  redis.on("ready", () => {
    lastConnectionError = undefined
  })
  // a client's error can quote its connection's settings: the password is masked in every form
  const password = redis.options.password
  const secrets = typeof password === "string" && password !== "" ? [Redacted.make(password)] : []
  // Until the client's first connection has succeeded or failed once, an operation waits for it (at most
  // the client's command time limit) instead of failing at once: a process busy starting up can have its
  // event loop held long enough for the connection to finish after the layer stopped waiting for it.
  // Once the first connection is settled, operations fail fast while Redis is away.
  let firstConnection: Promise<void> | undefined = redis.status === "ready" ? undefined : new Promise<void>((resolve) => {
    const settle = () => {
      firstConnection = undefined
      redis.off("ready", settle)
      redis.off("error", settle)
      redis.off("end", settle)
      resolve()
    }
    redis.on("ready", settle)
    redis.on("error", settle)
    redis.on("end", settle)
  })
  const limit = redis.options.commandTimeout ?? 1000
  const settled = (pending: Promise<void>) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, limit)
      void pending.then(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  const attempt = <A>(operation: string, run: () => Promise<A>) =>
    Effect.tryPromise({
      try: () => firstConnection === undefined ? run() : settled(firstConnection).then(run),
      catch: (cause) => TokenStore.storeError(operation, describeFailure(cause, lastConnectionError), secrets)
    })
  return {
    get: (key) => Effect.map(attempt("get", () => redis.get(key)), Option.fromNullishOr),
    compareAndSet: (key, expected, value, ttl) =>
      Effect.map(
        attempt("compareAndSet", () =>
          redis.eval(
            compareAndSetScript,
            1,
            key,
            Option.isSome(expected) ? "1" : "0",
            Option.getOrElse(expected, () => ""),
            value,
            String(Math.max(1, Math.ceil(Duration.toMillis(ttl))))
          )),
        (written) => written === 1
      ),
    compareAndDelete: (key, expected) =>
      Effect.map(attempt("compareAndDelete", () => redis.eval(compareAndDeleteScript, 1, key, expected)), (n) => n === 1),
    acquireLease: (key, holder, ttl) =>
      Effect.map(
        attempt("acquireLease", () => redis.set(key, holder, "PX", Math.max(1, Math.ceil(Duration.toMillis(ttl))), "NX")),
        (reply) => reply === "OK"
      ),
    releaseLease: (key, holder) =>
      Effect.asVoid(attempt("releaseLease", () => redis.eval(compareAndDeleteScript, 1, key, holder)))
  }
}

/**
 * Options of the Redis store.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `redis://[:password@]host:port/db`. */
  readonly url: string | Redacted.Redacted<string>
  /** Per-command time limit. Default 1 second: a slow Redis must not hold up the token. */
  readonly commandTimeout?: Duration.Input | undefined
  /** How long building the layer waits for the first connection. Default 2 seconds. */
  readonly connectTimeout?: Duration.Input | undefined
  /** More `ioredis` options. */
  readonly redis?: RedisOptions | undefined
}

/**
 * A Redis client for the lifetime of the layer, and the store on it. Building it waits (`connectTimeout`)
 * for the first connection and checks it with one `PING`. Redis being away does not fail it: while Redis
 * cannot be reached, every store operation fails and replicas use their own caches. Redis refusing the
 * password (`WRONGPASS`, `NOAUTH`) does, with a `StoreError` that says so, and bad options fail it with
 * `InvalidOptions`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options
): Layer.Layer<TokenStore.TokenStore, AuthError.InvalidOptions | TokenStore.StoreError> =>
  Layer.effect(
    TokenStore.TokenStore,
    Effect.gen(function*() {
      const url = yield* Redacted.isRedacted(options.url)
        ? check(Validation.secret("url", options.url))
        : Effect.map(check(Validation.nonEmptyString("url", options.url)), (url) => Redacted.make(url))
      const commandTimeout = yield* check(Validation.duration("commandTimeout", options.commandTimeout, "1 second"))
      const connectTimeout = yield* check(Validation.duration("connectTimeout", options.connectTimeout, "2 seconds"))
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const client = new Redis(Redacted.value(url), {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
            commandTimeout: Duration.toMillis(commandTimeout),
            // reconnect forever, at most every 2 seconds
            retryStrategy: (times) => Math.min(times * 100, 2000),
            ...options.redis
          })
          // connection errors surface as failed operations (StoreError); the event itself is expected
          client.on("error", () => {})
          return client
        }),
        (client) => Effect.sync(() => client.disconnect())
      )
      const store = make(client)
      yield* connected(client, connectTimeout)
      return store
    })
  )

/**
 * Waits until the client is ready and answers a `PING`, or gives up quietly when Redis cannot be reached
 * (the store then fails until it can); fails at once when Redis refuses the credentials.
 */
const connected = (client: Redis, limit: Duration.Duration): Effect.Effect<void, TokenStore.StoreError> =>
  Effect.callback<void, TokenStore.StoreError>((resume) => {
    if (client.status === "ready") return resume(Effect.void)
    const onReady = () => resume(Effect.void)
    const onError = (error: Error) => {
      const refused = authFailure(error)
      if (refused !== undefined) resume(Effect.fail(new TokenStore.StoreError({ operation: "connect", description: refused })))
    }
    client.once("ready", onReady)
    client.on("error", onError)
    return Effect.sync(() => {
      client.removeListener("ready", onReady)
      client.removeListener("error", onError)
    })
  }).pipe(
    Effect.andThen(
      Effect.tryPromise({ try: () => client.ping(), catch: (error) => error }).pipe(
        // only a refusal fails the layer: a Redis that is away, slow or not answering a PING is waited out later
        Effect.catch((error) => {
          const refused = authFailure(error instanceof Error ? error : undefined)
          return refused === undefined
            ? Effect.void
            : Effect.fail(new TokenStore.StoreError({ operation: "connect", description: refused }))
        })
      )
    ),
    Effect.timeoutOption(limit),
    Effect.asVoid
  )

/**
 * The Redis store from `HOSECLOUD_REDIS_URL`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<
  TokenStore.TokenStore,
  Config.ConfigError | AuthError.InvalidOptions | TokenStore.StoreError
> = Layer.unwrap(
  Effect.gen(function*() {
    return layer({ url: yield* Config.Redacted("HOSECLOUD_REDIS_URL") })
  })
)
