// The packed libraries of the Effect 4 line on runtimes other than Node: the program of this folder, bundled
// against the tarballs and effect 4 (see bundle.ts), runs on Bun, on Deno and on workerd (through Miniflare)
// against the simulator served on loopback. Each run is checked from outside: the requests the simulator
// received, the summary the program printed, and that no secret or token appears in anything it wrote.
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { execFile, execFileSync } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Call, Summary } from "./program.js"
import type { Environment } from "./settings.js"

const here = path.dirname(fileURLToPath(import.meta.url))
const bin = (name: string) => path.join(here, "..", "node_modules", ".bin", name)
const bundles = path.join(here, "..", "build", "runtimes")

const appKey = "runtime-app-key"
const appSecurity = `runtime-secret-${randomUUID()}`
const wrongSecurity = `wrong-secret-${randomUUID()}`
const corpId = "RUNTIMEcorp01"

interface Output {
  readonly code: number
  /** stdout and stderr together: everything the program wrote */
  readonly text: string
  /** the JSON the program answered */
  readonly summary: unknown
}

const parse = (line: string | undefined): unknown => {
  try {
    return line === undefined ? undefined : JSON.parse(line)
  } catch {
    return undefined
  }
}

/** Runs a bundle as a command, its settings in the environment. */
const command = (file: string, args: ReadonlyArray<string>, env: Environment) =>
  Effect.callback<Output>((resume) => {
    const child = execFile(file, [...args], {
      env: { PATH: process.env["PATH"] ?? "", HOME: os.tmpdir(), NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
      timeout: 60_000
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1
      resume(Effect.succeed({ code, text: `${stdout}${stderr}`, summary: parse(stdout.trim().split("\n").at(-1)) }))
    })
    return Effect.sync(() => child.kill())
  })

/** A worker bundle on workerd, its settings as bindings, for the life of the scope. */
const miniflare = (env: Environment, script = "worker.js") =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const { Miniflare } = await import("miniflare")
      const instance = new Miniflare({
        modules: true,
        scriptPath: path.join(bundles, script),
        compatibilityDate: "2025-09-01",
        // the program's settings, and the README worker's names of them
        bindings: { ...env, HOSECLOUD_AUTH_URL: env.HOSECLOUD_URL, HOSECLOUD_API_URL: env.HOSECLOUD_URL }
      })
      await instance.ready
      return instance
    }),
    (instance) => Effect.promise(() => instance.dispose())
  )

/** Asks the worker at `path` once. */
const dispatch = (instance: Effect.Success<ReturnType<typeof miniflare>>, route: string) =>
  Effect.promise(async (): Promise<Output> => {
    const response = await instance.dispatchFetch(`http://worker.test${route}`)
    const text = await response.text()
    return { code: response.ok ? 0 : 1, text, summary: response.ok ? parse(text) : undefined }
  })

const worker = (env: Environment) => Effect.scoped(Effect.flatMap(miniflare(env), (instance) => dispatch(instance, "/check")))

/** workerd's answer to a request that waits on nothing of its own */
const hung = "The Workers runtime canceled this request because it detected that your Worker's code had hung and would never generate a response."

/** The corporation in a business answer (`{ value: { id } }`) the README's worker passed on. */
const corporationOf = (output: Output): unknown => {
  const body = output.summary as { readonly value?: { readonly id?: unknown } } | undefined
  return body?.value?.id
}

/** Whether a runtime's binary runs here at all; the reason when it does not. */
const cannotRun = (probe: () => unknown): string | undefined => {
  try {
    probe()
    return undefined
  } catch (error) {
    return String(error instanceof Error ? error.message : error).split("\n")[0]
  }
}

const runtimes: ReadonlyArray<{
  readonly name: string
  readonly probe: () => unknown
  readonly run: (env: Environment) => Effect.Effect<Output>
}> = [
  {
    name: "Bun",
    probe: () => execFileSync(bin("bun"), ["--version"], { stdio: "pipe" }),
    run: (env) => command(bin("bun"), [path.join(bundles, "cli.js")], env)
  },
  {
    name: "Deno",
    probe: () => execFileSync(bin("deno"), ["--version"], { stdio: "pipe" }),
    run: (env) =>
      command(bin("deno"), [
        "run",
        "--cached-only",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        `--allow-env=${Object.keys(env).join(",")}`,
        path.join(bundles, "cli.js")
      ], env)
  },
  {
    name: "workerd (Miniflare)",
    probe: () => fs.accessSync(bin("miniflare"), fs.constants.X_OK),
    run: worker
  }
]

// real processes and a real server: the live clock, not the test one
const simulator = NodeSimulator.layer({ credentials: [{ appKey, appSecurity, corpId, scope: "tenant" }] })

// tokens of 2 seconds for one test, then the simulator's 2 hours again
const tokensOfTwoSeconds = (sim: HosecloudSimulator.Simulator) =>
  Effect.acquireRelease(sim.setTokenLifetime("2 seconds"), () => sim.setTokenLifetime("2 hours"))

const environment = Effect.map(NodeSimulator.SimulatorAddress, ({ url }): Environment => ({
  HOSECLOUD_URL: url,
  HOSECLOUD_APP_KEY: appKey,
  HOSECLOUD_APP_SECURITY: appSecurity,
  WRONG_APP_SECURITY: wrongSecurity
}))

/** Nothing the program wrote holds a secret or a token the simulator issued. */
const assertNoSecret = (text: string) =>
  Effect.gen(function*() {
    const sim = yield* HosecloudSimulator.HosecloudSimulator
    const secrets = [appSecurity, wrongSecurity, ...(yield* sim.issued).flatMap((t) => [t.accessToken, t.refreshToken])]
    for (const secret of secrets) assert.notInclude(text, secret)
  })

const workerd = runtimes.find((runtime) => runtime.name.startsWith("workerd"))!

layer(simulator, { excludeTestServices: true })("runtimes", (it) => {
  /** A test that needs `runtime`: skipped with its reason where the runtime cannot run, failed under CI. */
  const on = <E>(
    runtime: (typeof runtimes)[number],
    name: string,
    test: () => Effect.Effect<void, E, HosecloudSimulator.HosecloudSimulator | NodeSimulator.SimulatorAddress>
  ) => {
    const reason = cannotRun(runtime.probe)
    return it.effect(name, (ctx) => {
      if (reason === undefined) return test()
      // CI sets HOSECLOUD_REQUIRE_RUNTIMES=1: there, a runtime that cannot run fails the suite
      if (process.env["HOSECLOUD_REQUIRE_RUNTIMES"] === "1") {
        return Effect.die(new Error(`${runtime.name} cannot run here (${reason}), and HOSECLOUD_REQUIRE_RUNTIMES=1`))
      }
      // skipped as it runs, with the reason in the report (as the Redis tests are)
      console.warn(`${name} skipped: ${runtime.name} cannot run here (${reason})`)
      ctx.skip(true, `${runtime.name} cannot run here (${reason})`)
      return Effect.void
    }, { timeout: 90_000 })
  }

  for (const runtime of runtimes) {
    on(runtime, runtime.name, () =>
      Effect.gen(function*() {
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        yield* sim.resetCounts
        const output = yield* runtime.run(yield* environment)
        assert.strictEqual(output.code, 0, output.text)
        const summary = output.summary as Summary | undefined
        assert.isDefined(summary, output.text)
        assert.strictEqual(summary!.corpId, corpId)
        assert.strictEqual(summary!.businessStatus, 200)
        assert.strictEqual(summary!.corporation, corpId)
        assert.match(summary!.wrongSecret, /^InvalidKey: /)
        // one token bought with the right secret, one refused for the wrong one, one business call
        assert.strictEqual(yield* sim.count("v3.getAccessToken", "success"), 1)
        assert.strictEqual(yield* sim.count("v3.getAccessToken", "InvalidKey"), 1)
        assert.strictEqual(yield* sim.count("v3.getAccessToken"), 2)
        assert.strictEqual(yield* sim.count("v1.corporations", "success"), 1)
        yield* assertNoSecret(output.text)
      }))
  }

  on(workerd, "workerd, the README's worker: the concurrent requests of an isolate share one token request", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      yield* sim.resetCounts
      // the token request is slow: every request of the isolate arrives while it is under way
      yield* sim.script("token", HosecloudSimulator.Fault.delay("1 second"))
      const instance = yield* miniflare(yield* environment, "example-worker.js")
      const answers = yield* Effect.all(Array.from({ length: 8 }, () => dispatch(instance, "/")), { concurrency: "unbounded" })
      for (const answer of answers) assert.strictEqual(corporationOf(answer), corpId, answer.text)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 8)
      yield* assertNoSecret(answers.map((a) => a.text).join("\n"))
    }).pipe(Effect.scoped))

  on(workerd, "workerd, the README's worker: a token that expired between requests is bought by the next one", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      yield* sim.resetCounts
      yield* tokensOfTwoSeconds(sim)
      const instance = yield* miniflare(yield* environment, "example-worker.js")
      const first = yield* dispatch(instance, "/")
      yield* Effect.sleep("3 seconds")
      const second = yield* dispatch(instance, "/")
      for (const answer of [first, second]) assert.strictEqual(corporationOf(answer), corpId, answer.text)
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "success"), 2)
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 2)
    }).pipe(Effect.scoped))

  // The limit of layers kept at module scope (a ManagedRuntime) on workerd, as the README states it.
  on(workerd, "workerd, layers at module scope: one after another, requests share the token", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      yield* sim.resetCounts
      const instance = yield* miniflare(yield* environment)
      const answers = [yield* dispatch(instance, "/shared"), yield* dispatch(instance, "/shared")]
      const expected: Call = { businessStatus: 200, corporation: corpId }
      for (const answer of answers) assert.deepStrictEqual(answer.summary, expected, answer.text)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
      assert.strictEqual(yield* sim.count("v1.corporations", "success"), 2)
    }).pipe(Effect.scoped))

  on(workerd, "workerd, layers at module scope: no timer runs after a response, so no background refresh", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      yield* sim.resetCounts
      // a token of 2 seconds would be refreshed in the background after 1 second, if timers ran
      yield* tokensOfTwoSeconds(sim)
      const instance = yield* miniflare(yield* environment)
      const first = yield* dispatch(instance, "/shared")
      yield* Effect.sleep("3 seconds")
      const second = yield* dispatch(instance, "/shared")
      const expected: Call = { businessStatus: 200, corporation: corpId }
      for (const answer of [first, second]) assert.deepStrictEqual(answer.summary, expected, answer.text)
      // exactly one token per request: the first request's refresh timer never fired
      assert.strictEqual(yield* sim.count("v3.getAccessToken", "success"), 2)
    }).pipe(Effect.scoped))

  on(workerd, "workerd, layers at module scope: requests waiting for another request's token are canceled", () =>
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      yield* sim.resetCounts
      yield* sim.script("token", HosecloudSimulator.Fault.delay("1 second"))
      const instance = yield* miniflare(yield* environment)
      const answers = yield* Effect.all(Array.from({ length: 4 }, () => dispatch(instance, "/shared")), { concurrency: "unbounded" })
      const canceled = answers.filter((answer) => answer.code !== 0)
      // the request that started the token request is answered; workerd cancels the ones that waited for it
      assert.strictEqual(answers.length - canceled.length, 1, answers.map((a) => a.text).join("\n"))
      for (const answer of canceled) assert.include(answer.text, hung)
      assert.strictEqual(yield* sim.count("v3.getAccessToken"), 1)
    }).pipe(Effect.scoped))
})
