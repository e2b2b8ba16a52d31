// The real executable, `node dist/bin.js` (built by the global setup), in child processes: exit codes,
// stdin that is not a terminal, signals, and `hosecloud simulator` in one process serving `hosecloud token`
// in another. No wrapper stands between the test and the program, so a signal reaches the program itself.
import { assert, describe, it } from "@effect/vitest"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { closed, type Finished } from "./processOutput.js"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { createServer } from "node:net"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/cli/dist/bin.js")

const start = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcessWithoutNullStreams =>
  spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }
  })

const finish = (child: ChildProcessWithoutNullStreams, input?: string): Promise<Finished> => {
  const result = closed(child)
  child.stdin.end(input)
  return result
}

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
  const serverClosed = finish(server)
  let result: A
  try {
    const [, url] = await waitFor(server, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
    result = await use(url)
  } finally {
    server.kill("SIGINT")
  }
  // asserted after the test's own checks, so a failure there is not hidden by this one
  const { code, stderr } = await serverClosed
  assert.strictEqual(code, 0, `the simulator ends cleanly on Ctrl-C: ${stderr}`)
  return result
}

const demoEnv = (url: string) => ({ HOSECLOUD_AUTH_URL: url, HOSECLOUD_APP_KEY: "demo-app-key", HOSECLOUD_APP_SECURITY: "demo-app-security" })

describe("the hosecloud executable", () => {
  it("hosecloud --version prints the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
    const { code, stdout } = await run(["--version"])
    assert.strictEqual(code, 0)
    assert.strictEqual(stdout.trim(), version)
  })

  it("hosecloud simulator serves hosecloud token from a second process", async () => {
    await withSimulator(async (url) => {
      const result = await run(["token"], demoEnv(url))
      assert.strictEqual(result.code, 0, result.stderr)
      assert.match(result.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/)
      assert.strictEqual(result.stderr, "")
    })
  }, 60_000)

  it("stdout is the answer: at debug, hosecloud token prints the token alone, and the log lines go to stderr", async () => {
    await withSimulator(async (url) => {
      const result = await run(["token"], { ...demoEnv(url), HOSECLOUD_LOG_LEVEL: "debug" })
      assert.strictEqual(result.code, 0, result.stderr)
      // what `$(hosecloud token)` captures: the token and its newline, nothing else
      assert.match(result.stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/)
      assert.include(result.stderr, "Hosecloud access token issued")
      assert.notInclude(result.stderr, "demo-app-security")
      const json = await run(["token", "--json"], { ...demoEnv(url), HOSECLOUD_LOG_LEVEL: "debug" })
      assert.strictEqual(JSON.parse(json.stdout).corpId, "DEMOcorp00001")
      const checked = await run(["check"], { ...demoEnv(url), HOSECLOUD_LOG_LEVEL: "debug" })
      assert.match(checked.stdout, /^ok: [^\n]*\n$/)
    })
  }, 60_000)

  it("a missing secret with no terminal names HOSECLOUD_APP_SECURITY, and exits 1", async () => {
    const result = await run(["token"], { HOSECLOUD_APP_KEY: "demo-app-key" }, "")
    assert.strictEqual(result.code, 1)
    assert.strictEqual(result.stdout, "")
    assert.include(result.stderr, "error: HOSECLOUD_APP_SECURITY is not set")
  }, 60_000)

  it("no command prints the help on stderr and exits 2; the top-level help names each variable once", async () => {
    const bare = await run([])
    assert.strictEqual(bare.code, 2)
    assert.strictEqual(bare.stdout, "")
    assert.include(bare.stderr, "COMMANDS")
    const help = await run(["--help"])
    assert.strictEqual(help.code, 0)
    for (const variable of ["HOSECLOUD_APP_KEY", "HOSECLOUD_APP_SECURITY", "HOSECLOUD_AUTH_URL", "HOSECLOUD_LOG_LEVEL", "NO_COLOR"]) {
      assert.strictEqual(help.stdout.split(`  ${variable} `).length - 1, 1, variable)
    }
    // effect/cli lists each subcommand on its own line, indented, with its summary (@effect/cli: "- token")
    for (const command of ["token", "check", "decode", "watch", "simulator", "demo"]) {
      assert.match(help.stdout, new RegExp(`^ +${command} +\\S`, "m"), command)
    }
    assert.notInclude(help.stdout, "Examples:")
  }, 60_000)

  it("a usage error (unknown flag or command, bad value) exits 1 with stdout empty: the help and the error go to stderr", async () => {
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [["token", "--bogus"], "--bogus"],
      [["no-such-command"], "no-such-command"],
      [["simulator", "--port", "abc"], "abc"]
    ]
    for (const [args, named] of cases) {
      const result = await run(args)
      assert.strictEqual(result.code, 1, args.join(" "))
      assert.strictEqual(result.stdout, "", args.join(" "))
      assert.include(result.stderr, named, args.join(" "))
      assert.include(result.stderr, "USAGE", args.join(" "))
    }
  }, 60_000)

  it("an unknown HOSECLOUD_LOG_LEVEL is refused, naming the valid ones", async () => {
    const result = await run(["decode", "x"], { HOSECLOUD_LOG_LEVEL: "bogus" })
    assert.strictEqual(result.code, 1)
    assert.strictEqual(result.stderr, "error: HOSECLOUD_LOG_LEVEL must be one of trace, debug, info, warning, error, fatal, none (got \"bogus\")\n")
  }, 60_000)

  it("check reads a piped secret through the hidden prompt, and never echoes it", async () => {
    await withSimulator(async (url) => {
      const ok = await run(["check"], { HOSECLOUD_AUTH_URL: url, HOSECLOUD_APP_KEY: "demo-app-key" }, "demo-app-security\n")
      assert.strictEqual(ok.code, 0, ok.stderr)
      assert.match(ok.stdout, /^ok: /)
      assert.include(ok.stderr, "appSecurity (hidden): ")
      assert.notInclude(ok.stdout + ok.stderr, "demo-app-security")
      const wrong = await run(["check"], { HOSECLOUD_AUTH_URL: url, HOSECLOUD_APP_KEY: "demo-app-key" }, "not-it-9f8e7d\n")
      assert.strictEqual(wrong.code, 2)
      assert.notInclude(wrong.stdout + wrong.stderr, "not-it-9f8e7d")
      // the prompt, then one line that says what is wrong
      assert.deepStrictEqual(wrong.stderr.trim().split("\n").map((l) => l.slice(0, 20)), [
        "appSecurity (hidden)",
        "error: Hosecloud ref"
      ])
    })
  }, 60_000)

  it("check exits 4 and says why when the URL's port is one fetch refuses", async () => {
    const result = await run(["check"], demoEnv("http://127.0.0.1:6000"))
    assert.strictEqual(result.code, 4)
    assert.include(result.stderr, "the request to http://127.0.0.1:6000 did not get through: fetch will not connect to this port")
  }, 60_000)

  it("check exits 4 when nothing listens", async () => {
    // a port that was free a moment ago: nothing listens there
    const port = await freePort()
    const result = await run(["check"], demoEnv(`http://127.0.0.1:${port}`))
    assert.strictEqual(result.code, 4)
    assert.isTrue(
      result.stderr.startsWith(`error: the request to http://127.0.0.1:${port} did not get through: the connection was refused`),
      result.stderr
    )
    assert.include(result.stderr, "(ECONNREFUSED)")
    assert.notInclude(result.stderr, "    at ")
  }, 60_000)

  it("watch prints events and ends cleanly on Ctrl-C", async () => {
    await withSimulator(async (url) => {
      const watcher = start(["watch"], demoEnv(url))
      const watcherClosed = finish(watcher)
      // one wait for both lines: they may arrive in one chunk
      await waitFor(watcher, /new token for corp DEMOcorp00001 \(tenant\)[\s\S]*refresh scheduled/)
      watcher.kill("SIGINT")
      const result = await watcherClosed
      assert.strictEqual(result.code, 0)
      assert.strictEqual(result.stderr, "")
    })
  }, 60_000)

  it("every command has --help with examples and the environment variables it reads, without colour in a pipe", async () => {
    const credentialVariables = ["HOSECLOUD_APP_KEY", "HOSECLOUD_APP_SECURITY", "HOSECLOUD_AUTH_URL"]
    for (const command of ["token", "check", "decode", "watch", "simulator", "demo"]) {
      const result = await run([command, "--help"])
      assert.strictEqual(result.code, 0, command)
      assert.match(result.stdout, /Example/, command)
      assert.include(result.stdout, "Environment:", command)
      assert.include(result.stdout, "NO_COLOR", command)
      if (["token", "check", "watch"].includes(command)) {
        for (const variable of credentialVariables) assert.include(result.stdout, variable, command)
      }
      if (command === "watch") {
        assert.include(result.stdout, "What it sends: one token request", command)
        assert.include(result.stdout, "never a burst", command)
      }
      assert.notInclude(result.stdout, "\u001b[", `${command}: colour written into a pipe`)
    }
  }, 120_000)
})

/** Runs the executable on a pseudo-terminal (util-linux `script`), as a person at a terminal would. */
const startOnTerminal = (args: ReadonlyArray<string>, env: Record<string, string> = {}): ChildProcessWithoutNullStreams =>
  spawn("script", ["-qec", [process.execPath, bin, ...args].map((a) => `'${a}'`).join(" "), "/dev/null"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", TERM: "xterm", ...env }
  })

describe("the hosecloud executable at a terminal", () => {
  it("check asks for the appKey and the hidden appSecurity, and takes what is typed", async () => {
    await withSimulator(async (url) => {
      const session = startOnTerminal(["check"], { HOSECLOUD_AUTH_URL: url })
      const ended = closed(session)
      const asked = waitFor(session, /appKey: /)
      await asked
      const askedSecret = waitFor(session, /appSecurity \(hidden\): /)
      session.stdin.write("demo-app-key\r")
      await askedSecret
      session.stdin.write("demo-app-security\r")
      const result = await ended
      session.stdin.end()
      assert.strictEqual(result.code, 0, result.stdout)
      assert.match(result.stdout, /ok: .* accepted appKey demo-app-key for corp DEMOcorp00001/)
      assert.notInclude(result.stdout, "demo-app-security", "the secret is not echoed")
    })
  }, 60_000)

  it("help is in colour at a terminal, and without colour when NO_COLOR is set", async () => {
    const coloured = await finish(startOnTerminal(["token", "--help"]))
    assert.include(coloured.stdout, "\u001b[")
    const plain = await finish(startOnTerminal(["token", "--help"], { NO_COLOR: "1" }))
    assert.include(plain.stdout, "Environment:")
    assert.notInclude(plain.stdout, "\u001b[")
  }, 60_000)
})

describe("hosecloud watch through an outage", () => {
  it("keeps a token: after the simulator was down past the token's expiry, a new token within the retry interval", async () => {
    const port = await freePort()
    const serve = () => start(["simulator", "--port", String(port), "--token-lifetime", "4"])
    const first = serve()
    const firstClosed = finish(first)
    await waitFor(first, /listening on/)
    const url = `http://127.0.0.1:${port}`
    const watcher = start(["watch", "--retry-interval", "1"], demoEnv(url))
    const watched = finish(watcher)
    let seen = ""
    watcher.stdout.on("data", (d) => (seen += d))
    await waitFor(watcher, /new token for corp DEMOcorp00001/)
    // down until the token has expired
    first.kill("SIGINT")
    await firstClosed
    await waitFor(watcher, /token for corp DEMOcorp00001 expired/)
    const second = serve()
    const secondClosed = finish(second)
    try {
      await waitFor(second, /listening on/)
      const before = (seen.match(/new token for corp/g) ?? []).length
      await waitUntil(() => (seen.match(/new token for corp/g) ?? []).length > before, 15_000)
    } finally {
      watcher.kill("SIGINT")
      second.kill("SIGINT")
    }
    const result = await watched
    await secondClosed
    assert.strictEqual(result.code, 0, result.stderr)
    assert.match(result.stdout, /retry in|token request failed/, "the outage was seen")
  }, 90_000)
})

/** A free loopback port, as the OS hands it out. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

/** Polls `condition` until it holds, or fails after `limit` ms. */
const waitUntil = (condition: () => boolean, limit: number) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now()
    const poll = setInterval(() => {
      if (condition()) {
        clearInterval(poll)
        resolve()
      } else if (Date.now() - started > limit) {
        clearInterval(poll)
        reject(new Error("the condition did not hold in time"))
      }
    }, 50)
  })
