// The real executable, `node dist/bin.js` (built by the global setup), in child processes: exit codes,
// stdin that is not a terminal, signals, and `hosecloud simulator` in one process serving `hosecloud token`
// in another. No wrapper stands between the test and the program, so a signal reaches the program itself.
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/cli/dist/bin.js")

const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }
  })

interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const finish = (child: ChildProcessWithoutNullStreams, input?: string): Promise<Finished> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
    if (input !== undefined) child.stdin.end(input)
    else child.stdin.end()
  })

const run = (args: ReadonlyArray<string>, env?: Record<string, string>, input?: string) => finish(start(args, env), input)

/** Waits for a line of stdout that matches, and answers the match. */
const waitFor = (child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpMatchArray> =>
  new Promise((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${seen}`)), 20_000)
    child.stdout.on("data", (d) => {
      seen += d
      const match = seen.match(pattern)
      if (match) {
        clearTimeout(timer)
        resolve(match)
      }
    })
  })

const withSimulator = async <A>(use: (url: string) => Promise<A>): Promise<A> => {
  const server = start(["simulator", "--port", "0"])
  const closed = finish(server)
  let result: A
  try {
    const [, url] = await waitFor(server, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
    result = await use(url)
  } finally {
    server.kill("SIGINT")
  }
  // asserted after the test's own checks, so a failure there is not hidden by this one
  const { code, stderr } = await closed
  assert.strictEqual(code, 0, `the simulator ends cleanly on Ctrl-C: ${stderr}`)
  return result
}

const demoEnv = (url: string) => ({ HOSECLOUD_BASE_URL: url, HOSECLOUD_APP_KEY: "demo-app-key", HOSECLOUD_APP_SECURITY: "demo-app-security" })

describe("the hosecloud executable", () => {
  it("hosecloud simulator serves hosecloud token from a second process", async () => {
    await withSimulator(async (url) => {
      const result = await run(["token"], demoEnv(url))
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/)
      assert.strictEqual(result.stderr, "")
    })
  }, 60_000)

  it("check reads a piped secret through the hidden prompt, and never echoes it", async () => {
    await withSimulator(async (url) => {
      const ok = await run(["check"], { HOSECLOUD_BASE_URL: url, HOSECLOUD_APP_KEY: "demo-app-key" }, "demo-app-security\n")
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.match(ok.stdout, /^ok: /)
      assert.include(ok.stderr, "appSecurity (hidden): ")
      assert.notInclude(ok.stdout + ok.stderr, "demo-app-security")
      const wrong = await run(["check"], { HOSECLOUD_BASE_URL: url, HOSECLOUD_APP_KEY: "demo-app-key" }, "not-it-9f8e7d\n")
      assert.strictEqual(wrong.code, 2)
      assert.notInclude(wrong.stdout + wrong.stderr, "not-it-9f8e7d")
      // the prompt, then one line that says what is wrong
      assert.deepStrictEqual(wrong.stderr.trim().split("\n").map((l) => l.slice(0, 20)), [
        "appSecurity (hidden)",
        "error: Hosecloud ref"
      ])
    })
  }, 60_000)

  it("check exits 4 when nothing listens", async () => {
    const result = await run(["check"], demoEnv("http://127.0.0.1:9"))
    assert.strictEqual(result.code, 4)
    assert.match(result.stderr, /^error: could not get an answer from http:\/\/127\.0\.0\.1:9/)
    assert.notInclude(result.stderr, "    at ")
  }, 60_000)

  it("watch prints events and ends cleanly on Ctrl-C", async () => {
    await withSimulator(async (url) => {
      const watcher = start(["watch"], demoEnv(url))
      const closed = finish(watcher)
      // one wait for both lines: they may arrive in one chunk
      await waitFor(watcher, /new token for corp DEMOcorp00001 \(tenant\)[\s\S]*refresh scheduled/)
      watcher.kill("SIGINT")
      const result = await closed
      assert.strictEqual(result.code, 0)
      assert.strictEqual(result.stderr, "")
    })
  }, 60_000)

  it("every command has --help with examples", async () => {
    for (const command of ["token", "check", "decode", "watch", "simulator", "demo"]) {
      const result = await run([command, "--help"])
      assert.strictEqual(result.code, 0, command)
      assert.match(result.stdout, /Example/, command)
    }
  }, 120_000)
})
