// The installed `hosecloud` executable, as a user runs it: help, the simulator serving `token` and `check`
// from other processes, the demo, and the exit codes of a wrong key, of nothing listening and of bad options.
import assert from "node:assert/strict"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { after, before, describe, it } from "node:test"
import { freePort, leaksOf, project, runHosecloud, startSimulator } from "./support.mjs"

const jwt = /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/
const credentials = (url, appSecurity = "demo-app-security") => ({
  HOSECLOUD_AUTH_URL: url,
  HOSECLOUD_APP_KEY: "demo-app-key",
  HOSECLOUD_APP_SECURITY: appSecurity
})

describe("hosecloud, the installed command line", () => {
  it("--version prints the installed package's version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(project, "node_modules/@effect-hosecloud/cli/package.json"), "utf8"))
    const result = await runHosecloud(["--version"])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stdout.trim(), version)
  })

  it("--help exits 0 and names every command and variable; no command prints the help on stderr and exits 2", async () => {
    const help = await runHosecloud(["--help"])
    assert.equal(help.code, 0, help.stderr)
    for (const command of ["token", "check", "decode", "watch", "simulator", "demo"]) {
      assert.match(help.stdout, new RegExp(`\\b${command}\\b`), command)
    }
    for (const variable of ["HOSECLOUD_APP_KEY", "HOSECLOUD_APP_SECURITY", "HOSECLOUD_AUTH_URL", "HOSECLOUD_LOG_LEVEL"]) {
      assert.ok(help.stdout.includes(variable), variable)
    }
    const bare = await runHosecloud([])
    assert.equal(bare.code, 2)
    assert.equal(bare.stdout, "")
    assert.match(bare.stderr, /\btoken\b/)
  })

  it("bad options exit 1 with stdout empty, and the error names what was wrong", async () => {
    const cases = [
      { args: ["simulator", "--port", "99999"], says: /port/ },
      { args: ["simulator", "--port", "abc"], says: /abc/ },
      { args: ["token", "--bogus"], says: /--bogus/ },
      { args: ["no-such-command"], says: /no-such-command|token/ }
    ]
    // every case is run, and every one that fails is reported
    const wrong = []
    for (const { args, says } of cases) {
      const result = await runHosecloud(args, credentials("http://127.0.0.1:9"))
      const name = `hosecloud ${args.join(" ")}`
      if (result.code !== 1) wrong.push(`${name}: exit ${result.code}, not 1 (${result.stderr.trim()})`)
      if (result.stdout !== "") wrong.push(`${name}: wrote to stdout, which is for the answer alone: ${JSON.stringify(result.stdout.slice(0, 80))}...`)
      if (!says.test(result.stderr)) wrong.push(`${name}: stderr does not say ${says}: ${JSON.stringify(result.stderr)}`)
    }
    assert.deepEqual(wrong, [])
    const level = await runHosecloud(["decode", "x"], { HOSECLOUD_LOG_LEVEL: "bogus" })
    assert.equal(level.code, 1)
    assert.match(level.stderr, /HOSECLOUD_LOG_LEVEL/)
  })

  it("a missing secret with no terminal exits 1 and names HOSECLOUD_APP_SECURITY", async () => {
    const result = await runHosecloud(["token"], { HOSECLOUD_APP_KEY: "demo-app-key", HOSECLOUD_AUTH_URL: "http://127.0.0.1:9" })
    assert.equal(result.code, 1)
    assert.equal(result.stdout, "")
    assert.match(result.stderr, /HOSECLOUD_APP_SECURITY/)
  })

  it("check exits 4 when nothing listens at the token host", async () => {
    const port = await freePort()
    const result = await runHosecloud(["check"], credentials(`http://127.0.0.1:${port}`))
    assert.equal(result.code, 4, result.stderr)
    assert.equal(result.stdout, "")
    assert.ok(result.stderr.includes(`127.0.0.1:${port}`), result.stderr)
  })

  it("demo runs end to end and exits 0", async () => {
    const result = await runHosecloud(["demo"])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /every claim above was checked/)
  })

  describe("hosecloud simulator, serving other processes", () => {
    let simulator
    before(async () => {
      simulator = await startSimulator()
    })
    after(async () => {
      const { code, stderr } = await simulator.stop()
      assert.equal(code, 0, `the simulator ends cleanly on Ctrl-C: ${stderr}`)
    })

    it("token prints the token alone; --json gives its corp and scope; check exits 0", async () => {
      const token = await runHosecloud(["token"], credentials(simulator.url))
      assert.equal(token.code, 0, token.stderr)
      assert.match(token.stdout, jwt)
      assert.equal(token.stderr, "")
      const json = await runHosecloud(["token", "--json"], credentials(simulator.url))
      assert.equal(json.code, 0, json.stderr)
      const parsed = JSON.parse(json.stdout)
      assert.equal(parsed.corpId, "DEMOcorp00001")
      assert.equal(parsed.scope, "tenant")
      const check = await runHosecloud(["check"], credentials(simulator.url))
      assert.equal(check.code, 0, check.stderr)
      assert.match(check.stdout, /^ok: .*DEMOcorp00001/)
    })

    it("a wrong key exits 2 from token and check, says so on stderr, and never shows the secret", async () => {
      const secret = "wrong-secret-5d1e9c"
      for (const args of [["token"], ["check"], ["token", "--json"]]) {
        const result = await runHosecloud(args, { ...credentials(simulator.url, secret), HOSECLOUD_LOG_LEVEL: "debug" })
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`)
        assert.equal(result.stdout, "", args.join(" "))
        assert.deepEqual(leaksOf(result.stdout + result.stderr, secret), [], args.join(" "))
        if (args.includes("--json")) {
          const error = JSON.parse(result.stderr.trim().split("\n").at(-1)).error
          assert.equal(error.exitCode, 2)
          assert.equal(error.kind, "invalidKey")
        } else {
          assert.match(result.stderr, /HOSECLOUD_APP_SECURITY|密钥无效|refused/)
        }
      }
    })
  })
})
