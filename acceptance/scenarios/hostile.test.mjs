// Hostile servers on loopback that echo the secret back (in `msg`, in the traceId, encoded): the typed
// errors keep their meaning (InvalidKey, SystemError with the traceId, ApiError), and the secret appears
// nowhere: not in an error however it is printed, a log line, or the command line's output.
import assert from "node:assert/strict"
import { after, before, describe, it } from "node:test"
import { leaksOf, runHosecloud, runProgram, startServer } from "./support.mjs"

const secret = "hostile-S3cret-9f4e2a71"
const token = [
  Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT" })).toString("base64url"),
  Buffer.from(JSON.stringify({ corporationId: "HOSTILEcorp01", exp: Math.floor(Date.now() / 1000) + 7200 })).toString("base64url"),
  "c2lnbmF0dXJlLTdmM2E5"
].join(".")

/** Everything a server can say, with the secret (or the token) in it, raw and encoded. */
const echo = (value) =>
  `${value} / ${encodeURIComponent(value)} / ${Buffer.from(value).toString("base64")} / ${Buffer.from(value).toString("hex")}`

const answers = {
  system: () => ({
    status: 200,
    body: JSON.stringify({ code: "500", msg: `system error: ${echo(secret)}`, data: null, traceId: `trace-${secret}-7f` })
  }),
  invalid: () => ({ status: 200, body: JSON.stringify({ code: "403", msg: `密钥无效 ${echo(secret)}`, data: "" }) }),
  business: (request) =>
    request.url.startsWith("/auth/")
      ? {
        status: 200,
        body: JSON.stringify({
          code: "200",
          msg: "操作成功",
          data: { corpId: "HOSTILEcorp01", accessToken: token, refreshToken: "refresh-9a8b7c6d5e", expiresTime: Date.now() + 7_200_000, scope: "tenant" }
        })
      }
      : { status: 500, body: JSON.stringify({ errorCode: 500, errorMessage: `no such token ${echo(token)}`, traceId: `t-${token}` }) }
}

describe("hostile servers echoing secrets", () => {
  const servers = {}
  before(async () => {
    for (const [mode, answer] of Object.entries(answers)) servers[mode] = await startServer(answer)
  })
  after(async () => {
    for (const server of Object.values(servers)) await server.close()
  })

  it("an echoed secret in a system error: SystemError with the traceId, the secret replaced, in every output", async () => {
    const result = await runProgram("hostile-program.mjs", { HOSTILE_URL: servers.system.url, HOSTILE_SECRET: secret })
    assert.equal(result.code, 0, result.stderr)
    const shown = JSON.parse(result.stdout.trim().split("\n").at(-1))
    assert.equal(shown.tag, "SystemError")
    assert.equal(shown.reason, "Upstream")
    assert.equal(shown.traceId, "trace-<redacted>-7f")
    assert.ok(servers.system.received.some((r) => r.body.includes(secret)), "the server was sent the secret")
    assert.deepEqual(leaksOf(result.stdout + result.stderr, secret), [])
  })

  it("an echoed secret in a refusal: InvalidKey, the secret in no output", async () => {
    const result = await runProgram("hostile-program.mjs", { HOSTILE_URL: servers.invalid.url, HOSTILE_SECRET: secret })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(JSON.parse(result.stdout.trim().split("\n").at(-1)).tag, "InvalidKey")
    assert.deepEqual(leaksOf(result.stdout + result.stderr, secret), [])
  })

  it("a business host echoing the token: ApiError, the token and the secret in no output", async () => {
    const result = await runProgram("hostile-program.mjs", { HOSTILE_URL: servers.business.url, HOSTILE_SECRET: secret })
    assert.equal(result.code, 0, result.stderr)
    const shown = JSON.parse(result.stdout.trim().split("\n").at(-1))
    assert.equal(shown.tag, "ApiError")
    assert.ok(servers.business.received.some((r) => r.url.includes(token)), "the business host was sent the token")
    assert.deepEqual(leaksOf(result.stdout + result.stderr, token), [])
    assert.deepEqual(leaksOf(result.stdout + result.stderr, secret), [])
  })

  it("the command line on them: exit 3 with the traceId, exit 2 for the refusal, the secret in no output", async () => {
    for (const [mode, expected] of [["system", 3], ["invalid", 2]]) {
      for (const args of [["check"], ["token"], ["token", "--json"]]) {
        const result = await runHosecloud(args, {
          HOSECLOUD_AUTH_URL: servers[mode].url,
          HOSECLOUD_APP_KEY: "hostile-app-key",
          HOSECLOUD_APP_SECURITY: secret,
          HOSECLOUD_LOG_LEVEL: "debug"
        })
        assert.equal(result.code, expected, `${mode}: hosecloud ${args.join(" ")}: ${result.stderr}`)
        assert.equal(result.stdout, "")
        assert.deepEqual(leaksOf(result.stdout + result.stderr, secret), [], `${mode}: hosecloud ${args.join(" ")}`)
        if (mode === "system") assert.ok(result.stderr.includes("trace-<redacted>-7f"), result.stderr)
      }
    }
  })
})
