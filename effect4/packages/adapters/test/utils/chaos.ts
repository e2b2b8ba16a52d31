import { Effect } from "effect"
import { createConnection, createServer, type Socket } from "node:net"

export interface ChaosOptions {
  readonly target: { readonly host: string; readonly port: number }
  /** Each chunk from the client is held this long (uniform), in order. */
  readonly maxLatencyMs: number
  /** Each chunk from the client drops the whole connection with this probability. */
  readonly dropRate: number
  /** The seed of the proxy's draws, so that a run's sequence of delays and drops can be replayed. */
  readonly seed: number
}

/** A small seeded generator (mulberry32) of numbers in [0, 1). */
const seeded = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * A TCP proxy on a free loopback port that delays what clients send and drops connections at random,
 * for the duration of the scope. Answers its URL and how many connections it dropped.
 */
export const chaosProxy = (options: ChaosOptions) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ url: string; dropped: () => number; close: () => Promise<void> }>((resolve) => {
        let dropped = 0
        const random = seeded(options.seed)
        const sockets = new Set<Socket>()
        const server = createServer((client) => {
          const upstream = createConnection(options.target)
          sockets.add(client).add(upstream)
          let queue = Promise.resolve()
          const kill = () => {
            client.destroy()
            upstream.destroy()
          }
          client.on("data", (chunk) => {
            queue = queue.then(() =>
              new Promise<void>((done) => {
                setTimeout(() => {
                  if (random() < options.dropRate) {
                    dropped++
                    kill()
                  } else if (!upstream.destroyed) upstream.write(chunk)
                  done()
                }, random() * options.maxLatencyMs)
              })
            )
          })
          upstream.on("data", (chunk) => {
            if (!client.destroyed) client.write(chunk)
          })
          client.on("close", () => upstream.destroy())
          upstream.on("close", () => client.destroy())
          client.on("error", kill)
          upstream.on("error", kill)
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resolve({
            url: `http://127.0.0.1:${port}`,
            dropped: () => dropped,
            close: () =>
              new Promise<void>((done) => {
                for (const socket of sockets) socket.destroy()
                server.close(() => done())
              })
          })
        })
      })
    ),
    (proxy) => Effect.promise(() => proxy.close())
  )
