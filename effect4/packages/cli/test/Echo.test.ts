// The real executable (`node dist/bin.js`) against a token endpoint on loopback that echoes appSecurity and
// the token back, raw and encoded, in `traceId`, `corpId` and `msg`: nothing of them reaches stdout or stderr,
// with the library's log lines on at debug level. The fields say `<redacted>` instead.
import { assert, describe, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { closed } from "./processOutput.js"
import { createServer, type Server } from "node:http"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = path.join(root, "packages/cli/dist/bin.js")

const appSecurity = "echo/app+security 3b5f=9e2a7c1d"
const accessToken = "echo-access-token-9a8b7c6d5e4f"

const hex = (s: string) => Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join("")
const encodings: ReadonlyArray<readonly [string, (s: string) => string]> = [
  ["raw", (s) => s],
  ["URI-encoded", encodeURIComponent],
  ["base64", btoa],
  ["base64url", (s) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")],
  ["hex", hex]
]
const leaksOf = (secret: string) => encodings.map(([, encode]) => encode(secret))

type Mode = "system" | "corp" | "refused"

/** A token endpoint that echoes the secret it was sent, in the form asked for. */
const echoingEndpoint = (mode: Mode, encode: (s: string) => string) =>
  new Promise<{ url: string; server: Server }>((resolve) => {
    const server = createServer((req, res) => {
      let body = ""
      req.on("data", (d) => (body += d))
      req.on("end", () => {
        const sent = (JSON.parse(body) as { appSecurity: string }).appSecurity
        const echoed = encode(sent)
        const answer = mode === "system"
          ? { code: "500", msg: `bad parameter ${echoed}`, traceId: `trace-${echoed}-7f` }
          : mode === "refused"
          ? { code: "403", msg: `key ${echoed} refused` }
          : {
            code: "200",
            msg: "ok",
            data: {
              corpId: `corp-${echoed}-${encode(accessToken)}`,
              accessToken,
              refreshToken: `refresh-${accessToken}`,
              expiresTime: Date.now() + 7_200_000,
              scope: "tenant"
            }
          }
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(answer))
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resolve({ url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`, server })
    })
  })

const run = (args: ReadonlyArray<string>, url: string) => {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOSECLOUD_AUTH_URL: url,
      HOSECLOUD_APP_KEY: "echo-app-key",
      HOSECLOUD_APP_SECURITY: appSecurity,
      HOSECLOUD_LOG_LEVEL: "debug"
    }
  })
  const result = closed(child)
  child.stdin.end()
  return result
}

const withEndpoint = async <A>(mode: Mode, encode: (s: string) => string, use: (url: string) => Promise<A>) => {
  const { server, url } = await echoingEndpoint(mode, encode)
  try {
    return await use(url)
  } finally {
    server.closeAllConnections()
    await new Promise<void>((done) => server.close(() => done()))
  }
}

const assertNoLeak = (output: string, secrets: ReadonlyArray<string>) => {
  for (const secret of secrets) {
    for (const leak of leaksOf(secret)) {
      if (output.includes(leak)) assert.fail(`${leak} was printed: ${output}`)
    }
  }
}

describe("hosecloud against a token endpoint that echoes secrets", () => {
  for (const [name, encode] of encodings) {
    it(`check: a code 500 echoing appSecurity ${name} in traceId and msg prints trace-<redacted>-7f`, async () => {
      await withEndpoint("system", encode, async (url) => {
        const result = await run(["check"], url)
        assert.strictEqual(result.code, 3, result.stderr)
        const output = `${result.stdout}\n${result.stderr}`
        assert.include(output, "trace-<redacted>-7f")
        assert.include(output, "Hosecloud token request failed")
        assertNoLeak(output, [appSecurity])
      })
    }, 30_000)

    it(`check and token --json: a corpId echoing appSecurity and the token ${name} prints corp-<redacted>-<redacted>`, async () => {
      await withEndpoint("corp", encode, async (url) => {
        const checked = await run(["check"], url)
        assert.strictEqual(checked.code, 0, checked.stderr)
        assert.include(checked.stdout, "for corp corp-<redacted>-<redacted>")
        // the library's log lines are on: the Info line of the new token names the corp too
        assert.include(`${checked.stdout}\n${checked.stderr}`, "Hosecloud access token issued")
        assertNoLeak(`${checked.stdout}\n${checked.stderr}`, [appSecurity, accessToken])
        const json = await run(["token", "--json"], url)
        assert.strictEqual(json.code, 0, json.stderr)
        // with log lines on, the JSON document is what follows them
        const parsed = JSON.parse(json.stdout.slice(json.stdout.indexOf("{\n"))) as { corpId: string; accessToken: string }
        assert.strictEqual(parsed.corpId, "corp-<redacted>-<redacted>")
        // the token is what `token` prints, on purpose; appSecurity never
        assert.strictEqual(parsed.accessToken, accessToken)
        assertNoLeak(`${json.stdout}\n${json.stderr}`, [appSecurity])
      })
    }, 30_000)
  }

  it("check: a refused key whose msg echoes appSecurity in base64 exits 2 and prints <redacted>", async () => {
    await withEndpoint("refused", btoa, async (url) => {
      const result = await run(["check"], url)
      assert.strictEqual(result.code, 2, result.stderr)
      const output = `${result.stdout}\n${result.stderr}`
      assert.include(output, "key <redacted> refused")
      assertNoLeak(output, [appSecurity])
    })
  }, 30_000)
})
