// Every program of effect4/examples, run as a user runs it (its own process, from its source through tsx),
// against the simulator served on loopback and a redis-server of its own, checked by what it prints and by
// the simulator's counters: the server example is served 20 requests and asks for one token in all. The
// one-shot programs, pointed at a port where nothing listens, fail loudly: a non-zero exit and one line on
// stderr, not a trace.
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { freePort, redisScoped, withRedis } from "./utils/redis.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const examples = path.join(root, "examples")

/** What each one-shot example prints when it works. */
const expected: Record<string, RegExp> = {
  "auth.ts": /token for DEMOcorp00001, scope tenant, until \d{4}-/,
  "refresh-schedule.ts": /token for DEMOcorp00001; its refresh is scheduled \d+ minutes before it expires/,
  "client.ts": /corporation DEMOcorp00001: Simulated corporation DEMOcorp00001/,
  "node.ts": /"id":"DEMOcorp00001"/,
  "fetch.ts": /"id":"DEMOcorp00001"/,
  "editions.ts": /business host: http:\/\/127\.0\.0\.1:\d+[\s\S]*corporations answered HTTP 200/,
  "discovery.ts": /discovered host: http:\/\/127\.0\.0\.1:\d+; corporations answered HTTP 200/,
  "legacy.ts": /legacy token for DEMOcorp00001; refreshed, now valid until \d{4}-/,
  "redis-fleet.ts": /shared token for DEMOcorp00001; corporations answered HTTP 200/,
  "tenants.ts": /tenant demo-app-key: token for DEMOcorp00001[\s\S]*tenants held: 2/
}

const start = (file: string, env: Record<string, string>): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, ["--import", "tsx", path.join(examples, file)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", TSX_TSCONFIG_PATH: path.join(examples, "tsconfig.json"), ...env }
  })

const finished = (child: ChildProcessWithoutNullStreams) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const run = (file: string, env: Record<string, string>) =>
  Effect.promise(() => {
    const child = start(file, env)
    child.stdin.end()
    return finished(child)
  })

/** The simulator on loopback, with its controls. */
const served = Effect.map(Layer.build(NodeSimulator.layer()), (context) => ({
  sim: Context.get(context, HosecloudSimulator.HosecloudSimulator),
  url: Context.get(context, NodeSimulator.SimulatorAddress).url
}))

const credentials = (url: string) => ({
  HOSECLOUD_AUTH_URL: url,
  HOSECLOUD_API_URL: url,
  HOSECLOUD_APP_KEY: "demo-app-key",
  HOSECLOUD_APP_SECURITY: "demo-app-security",
  HOSECLOUD_TOKEN_KEY: "Q2r8Vx5Lm1Tz7Nk4Bw9Hc3Fp6Js0Gd2Y"
})

describe("examples", () => {
  it.live("every one-shot program prints what it promises, against the simulator", (ctx) =>
    withRedis(ctx, Effect.gen(function*() {
      const redis = yield* redisScoped()
      const { url } = yield* served
      const env = { ...credentials(url), HOSECLOUD_REDIS_URL: redis.url }
      const results = yield* Effect.forEach(
        Object.entries(expected),
        ([file, pattern]) => Effect.map(run(file, env), (result) => ({ file, pattern, ...result })),
        { concurrency: 2 }
      )
      for (const { code, file, pattern, stderr, stdout } of results) {
        assert.strictEqual(code, 0, `${file}: ${stderr}`)
        assert.match(stdout, pattern, file)
      }
    })), 300_000)

  it.live("each one-shot program, with nothing listening, fails with one line on stderr and a non-zero exit", () =>
    Effect.gen(function*() {
      const nowhere = `http://127.0.0.1:${yield* freePort}`
      const env = { ...credentials(nowhere), HOSECLOUD_REDIS_URL: `redis://127.0.0.1:${yield* freePort}` }
      const results = yield* Effect.forEach(
        Object.keys(expected),
        (file) => Effect.map(run(file, env), (result) => ({ file, ...result })),
        { concurrency: 2 }
      )
      for (const { code, file, stderr } of results) {
        const lines = stderr.split("\n").filter((line) => line.trim() !== "")
        assert.notStrictEqual(code, 0, file)
        assert.strictEqual(lines.length, 1, `${file}: ${stderr}`)
        assert.notMatch(stderr, /^\s+at /m, `${file}: a trace`)
      }
    }), 300_000)

  it.live("the server example serves 20 requests on one token, and ends on SIGTERM with Effect 4's exit code", () =>
    Effect.gen(function*() {
      const { sim, url } = yield* served
      const server = start("server.ts", { ...credentials(url), PORT: "0" })
      const ended = finished(server)
      const address = yield* Effect.promise(() =>
        new Promise<string>((resolve, reject) => {
          let seen = ""
          const timer = setTimeout(() => reject(new Error(`the server did not start: ${seen}`)), 60_000)
          server.stdout.on("data", (d) => {
            seen += d
            const match = seen.match(/listening on (http:\/\/\S+)/)
            if (match !== null) {
              clearTimeout(timer)
              resolve(match[1])
            }
          })
        })
      )
      const ask = Effect.promise(() =>
        fetch(`${address}/corporation`).then(async (r) => ({ status: r.status, body: await r.text() }))
      )
      const answers = [
        ...(yield* Effect.all(Array.from({ length: 10 }, () => ask), { concurrency: "unbounded" })),
        ...(yield* Effect.all(Array.from({ length: 10 }, () => ask)))
      ]
      for (const answer of answers) {
        assert.strictEqual(answer.status, 200, answer.body)
        assert.include(answer.body, "\"id\":\"DEMOcorp00001\"")
      }
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      server.kill("SIGTERM")
      const { code, stderr } = yield* Effect.promise(() => ended)
      // Effect 4's runMain ends a program interrupted by a signal with 130 (128 + SIGINT), where Effect 3's
      // ended it with 0; nothing is printed
      assert.strictEqual(code, 130, stderr)
      assert.strictEqual(stderr, "")
    }), 120_000)
})
