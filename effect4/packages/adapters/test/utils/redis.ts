import { Effect } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { createServer } from "node:net"

/** Whether `redis-server` can be run here. */
const redisInstalled = (() => {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

/**
 * Skips the test with a visible reason when `redis-server` is not on PATH, unless
 * `HOSECLOUD_REQUIRE_REDIS=1` (set by CI), which makes its absence a failure instead.
 */
export const withRedis = <A>(ctx: { readonly skip: (condition: boolean, note?: string) => void }, test: A): A => {
  if (redisInstalled) return test
  if (process.env["HOSECLOUD_REQUIRE_REDIS"] === "1") {
    throw new Error("redis-server is not on PATH, and HOSECLOUD_REQUIRE_REDIS=1 requires the Redis tests to run")
  }
  const reason = "redis-server not on PATH: skipped"
  console.warn(reason)
  ctx.skip(true, reason)
  return test
}

/** A free loopback port, as the OS hands it out. */
export const freePort = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
)

export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly stop: Effect.Effect<void>
}

/** Starts `redis-server` on `port` (a free one by default), without persistence, with `args` added. */
export const startRedis = (port?: number, args: ReadonlyArray<string> = []) =>
  Effect.gen(function*() {
    const chosen = port ?? (yield* freePort)
    const child: ChildProcess = spawn(
      "redis-server",
      ["--port", String(chosen), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...args],
      { stdio: ["ignore", "pipe", "pipe"] }
    )
    yield* Effect.promise(() =>
      new Promise<void>((resolve, reject) => {
        let seen = ""
        const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${seen}`)), 10_000)
        child.once("error", (error) => {
          clearTimeout(timer)
          reject(error)
        })
        child.stdout?.on("data", (d) => {
          seen += d
          if (seen.includes("Ready to accept connections")) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
    )
    const stop = Effect.promise(() =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once("exit", () => resolve())
        child.kill("SIGKILL")
      })
    )
    return { port: chosen, url: `redis://127.0.0.1:${chosen}`, stop } satisfies RedisServer
  })

/** A Redis server for the test's scope. */
export const redisScoped = (port?: number, args?: ReadonlyArray<string>) =>
  Effect.acquireRelease(startRedis(port, args), (server) => server.stop)
