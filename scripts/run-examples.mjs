// Runs every program of examples/, compiled in a user's project, against `hosecloud simulator` (the
// installed executable, on a free loopback port) and a redis-server of its own, and checks what each
// prints. The server example is served 20 requests, and must ask Hosecloud for one token in all. The
// README shows these very files.
//
// With --failures, each one-shot program runs again with the token and business hosts pointing at a port
// where nothing listens, and must fail loudly: a non-zero exit and one line on stderr, not a fiber trace.
//
// usage (in the project): node run-examples.mjs <directory of the compiled examples> [--failures]
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { createServer as createHttpServer, request as httpRequest } from "node:http"
import { createServer } from "node:net"
import { join } from "node:path"

const compiled = process.argv[2]
const checkFailures = process.argv.includes("--failures")

/** What each example prints when it works. */
const expected = {
  "auth.js": /token for DEMOcorp00001, scope tenant, until \d{4}-/,
  "refresh-schedule.js": /token for DEMOcorp00001; its refresh is scheduled \d+ minutes before it expires/,
  "client.js": /corporation DEMOcorp00001: Simulated corporation DEMOcorp00001/,
  "node.js": /"id":"DEMOcorp00001"/,
  "fetch.js": /"id":"DEMOcorp00001"/,
  "editions.js": /business host: http:\/\/127\.0\.0\.1:\d+[\s\S]*corporations answered HTTP 200/,
  "discovery.js": /discovered host: http:\/\/127\.0\.0\.1:\d+; corporations answered HTTP 200/,
  "legacy.js": /legacy token for DEMOcorp00001; refreshed, now valid until \d{4}-/,
  "redis-fleet.js": /shared token for DEMOcorp00001; corporations answered HTTP 200/,
  "tenants.js": /tenant demo-app-key: token for DEMOcorp00001[\s\S]*tenants held: 2/,
  "observability.js": /corporations answered HTTP 200; the spans and metrics go to the collector/
}

/** Examples that serve until they are stopped: checked by serving them requests. */
const servers = ["server.js"]

/** Examples that run elsewhere, and where. */
const elsewhere = {
  "worker.js": "a Cloudflare Worker: runtimes/runtimes.test.ts runs it on workerd",
  "testing.test.js": "a test: run by vitest"
}

const unknown = readdirSync(compiled).filter((f) => f.endsWith(".js") && !(f in expected) && !(f in elsewhere) && !servers.includes(f))
if (unknown.length > 0) {
  console.error(`examples that nothing runs: ${unknown.join(", ")}; add them to scripts/run-examples.mjs`)
  process.exit(1)
}

/** A collector that keeps what OTLP/HTTP sends it, by path. */
const collector = () =>
  new Promise((resolve) => {
    const received = []
    const server = createHttpServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        received.push({ path: request.url, body })
        response.setHeader("content-type", "application/json")
        response.end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () => resolve({ server, received, url: `http://127.0.0.1:${server.address().port}` }))
  })

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** Starts a server process and waits for a line of its output that matches. */
const serve = (command, args, ready, env = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } })
    let seen = ""
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${seen}`)), 20_000)
    child.on("error", reject)
    child.stdout.on("data", (chunk) => {
      seen += chunk
      const match = seen.match(ready)
      if (match !== null) {
        clearTimeout(timer)
        resolve({ child, match })
      }
    })
  })

/** A proxy in front of `target` that counts the token requests passing through it. */
const tokenCounter = (target) =>
  new Promise((resolve) => {
    const counted = { tokenRequests: 0 }
    const server = createHttpServer((request, response) => {
      if (request.url.startsWith("/auth/openApi/v3/getAccessToken")) counted.tokenRequests++
      const upstream = httpRequest(`${target}${request.url}`, { method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode, answer.headers)
        answer.pipe(response)
      })
      upstream.on("error", () => {
        response.statusCode = 502
        response.end()
      })
      request.pipe(upstream)
    })
    server.listen(0, "127.0.0.1", () => resolve({ server, counted, url: `http://127.0.0.1:${server.address().port}` }))
  })

/**
 * Serves the server example 20 requests (10 at once, then 10 one after another) with its token host behind
 * a counter: the layer is built once for the server's life, so all of them share one token request.
 */
const checkServer = async (file, env) => {
  const counter = await tokenCounter(env.HOSECLOUD_AUTH_URL)
  let server
  try {
    server = await serve(process.execPath, [join(compiled, file)], /listening on (http:\/\/\S+)/, {
      ...env,
      HOSECLOUD_AUTH_URL: counter.url,
      PORT: "0"
    })
    const ask = () => fetch(`${server.match[1]}/corporation`).then(async (r) => ({ status: r.status, body: await r.text() }))
    const answers = await Promise.all(Array.from({ length: 10 }, ask))
    for (let i = 0; i < 10; i++) answers.push(await ask())
    const wrong = answers.filter((a) => a.status !== 200 || !a.body.includes('"id":"DEMOcorp00001"'))
    if (wrong.length > 0) return `${wrong.length} of 20 requests failed: ${JSON.stringify(wrong[0])}`
    if (counter.counted.tokenRequests !== 1) {
      return `20 requests made ${counter.counted.tokenRequests} token requests; the layer must be built once, not per request`
    }
    const closed = new Promise((resolve) => server.child.on("close", (code) => resolve(code)))
    server.child.kill("SIGTERM")
    const code = await closed
    return code === 0 ? undefined : `the server exited with code ${code} on SIGTERM`
  } catch (error) {
    return String(error)
  } finally {
    if (server !== undefined && server.child.exitCode === null) server.child.kill("SIGKILL")
    server?.child.stdout.destroy()
    counter.server.close()
  }
}

const run = (file, env) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(compiled, file)], { env: { ...process.env, ...env } })
    let output = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => {
      output += chunk
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output, stderr })
    })
  })

/** What is wrong with how an example failed, if anything: it must exit non-zero with one line on stderr. */
const failedLoudly = ({ code, stderr }) => {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "")
  if (code === 0) return "it exited 0"
  if (lines.length !== 1) return `stderr has ${lines.length} lines, not one:\n${stderr}`
  if (/FiberFailure|^\s+at /m.test(stderr)) return `stderr is a trace: ${stderr}`
  return undefined
}

// the installed executable itself, not through npx: a signal must reach the program
const simulator = await serve(
  process.execPath,
  [join("node_modules", ".bin", "hosecloud"), "simulator", "--port", "0"],
  /listening on (http:\/\/\S+)/
)
const url = simulator.match[1]
const redisPort = await freePort()
const redis = await serve(
  "redis-server",
  ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
  /Ready to accept connections/
)
const otlp = await collector()
const env = {
  OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
  HOSECLOUD_AUTH_URL: url,
  HOSECLOUD_API_URL: url,
  HOSECLOUD_APP_KEY: "demo-app-key",
  HOSECLOUD_APP_SECURITY: "demo-app-security",
  HOSECLOUD_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  HOSECLOUD_TOKEN_KEY: "Q2r8Vx5Lm1Tz7Nk4Bw9Hc3Fp6Js0Gd2Y"
}
let failed = 0
try {
  for (const [file, pattern] of Object.entries(expected)) {
    const { code, output } = await run(file, env)
    if (code === 0 && pattern.test(output)) {
      console.log(`example ${file}: ok`)
    } else {
      failed++
      console.error(`example ${file} failed (exit ${code}, expected ${pattern}):\n${output}`)
    }
  }
  for (const file of servers) {
    const problem = await checkServer(file, env)
    if (problem === undefined) {
      console.log(`example ${file}: ok, 20 requests served with one token request`)
    } else {
      failed++
      console.error(`example ${file} failed: ${problem}`)
    }
  }
  if (checkFailures) {
    // nothing listens on a port that was free a moment ago
    const closed = `http://127.0.0.1:${await freePort()}`
    const results = await Promise.all(
      Object.keys(expected).map(async (file) => [file, await run(file, { ...env, HOSECLOUD_AUTH_URL: closed, HOSECLOUD_API_URL: closed })])
    )
    for (const [file, result] of results) {
      const problem = failedLoudly(result)
      if (problem === undefined) {
        console.log(`example ${file} with no Hosecloud to reach: exit ${result.code}, ${result.stderr.trim()}`)
      } else {
        failed++
        console.error(`example ${file} with no Hosecloud to reach does not fail loudly: ${problem}`)
      }
    }
  }
  // what the observability example sent the collector: the documented spans and metrics, and no secret
  const traces = otlp.received.filter((r) => r.path === "/v1/traces").map((r) => r.body).join("\n")
  const metrics = otlp.received.filter((r) => r.path === "/v1/metrics").map((r) => r.body).join("\n")
  const everything = otlp.received.map((r) => r.body).join("\n")
  const missing = ["HosecloudAuth.request", "http.client GET", "http.client POST"].filter((name) => !traces.includes(`"${name}"`))
  if (!metrics.includes("hosecloud_token_requests_total")) missing.push("hosecloud_token_requests_total")
  if (missing.length > 0) {
    failed++
    console.error(`the collector did not receive ${missing.join(", ")}`)
  } else if (everything.includes("demo-app-security") || /accessToken=(?!%3Credacted%3E)/.test(everything)) {
    failed++
    console.error("the collector received a secret")
  } else {
    console.log("the collector received the token and business spans and the metrics, and no secret")
  }
} finally {
  otlp.server.close()
  simulator.child.kill("SIGINT")
  redis.child.kill("SIGKILL")
  // the servers' output pipes would keep this process alive
  simulator.child.stdout.destroy()
  redis.child.stdout.destroy()
}
if (failed > 0) process.exit(1)
console.log(`every example ran against the simulator: ${Object.keys(expected).length + servers.length} programs`)
