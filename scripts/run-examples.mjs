// Runs every program of examples/, compiled in a user's project, against `hosecloud simulator` (the
// installed executable, on a free loopback port) and a redis-server of its own, and checks what each
// prints. The README shows these very files.
//
// usage (in the project): node run-examples.mjs <directory of the compiled examples>
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import { join } from "node:path"

const compiled = process.argv[2]

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
  "tenants.js": /tenant demo-app-key: token for DEMOcorp00001[\s\S]*tenants held: 2/
}

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
const serve = (command, args, ready) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] })
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

const run = (file, env) =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [join(compiled, file)], { env: { ...process.env, ...env } })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })

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
const env = {
  HOSECLOUD_AUTH_URL: url,
  HOSECLOUD_API_URL: url,
  HOSECLOUD_APP_KEY: "demo-app-key",
  HOSECLOUD_APP_SECURITY: "demo-app-security",
  HOSECLOUD_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  HOSECLOUD_TOKEN_KEY: "examples-fleet-key"
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
} finally {
  simulator.child.kill("SIGINT")
  redis.child.kill("SIGKILL")
  // the servers' output pipes would keep this process alive
  simulator.child.stdout.destroy()
  redis.child.stdout.destroy()
}
if (failed > 0) process.exit(1)
console.log(`every example ran against the simulator: ${Object.keys(expected).length} programs`)
