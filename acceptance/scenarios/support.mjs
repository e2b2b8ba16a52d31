// What the scenarios share, with no Effect in it: child processes run as a user runs them, free loopback
// ports, a redis-server of the suite's own, a served simulator from the installed `hosecloud`, a hostile
// loopback server, and a search for a secret in every form it could leak in.
import { spawn } from "node:child_process"
import { createServer as createHttpServer } from "node:http"
import { createServer as createNetServer } from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The scratch project the line's tarballs are installed in (this file is copied into it). */
export const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

/** The installed command line, as `npx hosecloud` finds it. */
export const hosecloud = path.join(project, "node_modules/.bin/hosecloud")

/** Only what a program needs from the environment, so that nothing of the caller's leaks in. */
const baseEnv = () => ({ PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NO_COLOR: "1" })

/** Starts `command` with `args` in the project; `input` (or nothing) is its standard input. */
export const start = (command, args, env = {}) =>
  spawn(command, args, { cwd: project, env: { ...baseEnv(), ...env }, stdio: ["pipe", "pipe", "pipe"] })

/** Waits for a child to end: its exit code, signal and whole output. */
export const finished = (child, input) => {
  let stdout = ""
  let stderr = ""
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d))
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d))
  const done = new Promise((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  child.stdin.end(input)
  return done
}

/** Runs the installed `hosecloud` with `args` to its end. */
export const runHosecloud = (args, env = {}, input = "") => finished(start(hosecloud, args, env), input)

/** Runs one of the scenario programs (a file beside this one) on this Node, to its end. */
export const runProgram = (file, env = {}) =>
  finished(start(process.execPath, [path.join(project, "acceptance", file)], env), "")

/** Resolves with the first match of `pattern` in what `stream` writes, or rejects after `ms`. */
export const waitFor = (stream, pattern, ms = 30_000) =>
  new Promise((resolve, reject) => {
    let seen = ""
    const timer = setTimeout(() => reject(new Error(`${pattern} did not appear in: ${seen}`)), ms)
    stream.on("data", (d) => {
      seen += d
      const match = seen.match(pattern)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match)
      }
    })
  })

/** A loopback port that was free a moment ago. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createNetServer()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

/** `hosecloud simulator` on a free loopback port; `stop` sends Ctrl-C and answers its exit. */
export const startSimulator = async (args = []) => {
  const child = start(hosecloud, ["simulator", "--port", "0", ...args])
  const exit = finished(child, "")
  const [, url] = await waitFor(child.stdout, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
  return {
    url,
    stop: async () => {
      child.kill("SIGINT")
      return exit
    }
  }
}

/** A redis-server of the suite's own on a free loopback port, with nothing saved to disk. */
export const startRedis = async () => {
  const port = await freePort()
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  const exit = new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })))
  await waitFor(child.stdout, /Ready to accept connections/)
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM")
      return exit
    }
  }
}

/**
 * A loopback server that answers every request with `answer(request, body)` (`{ status, body }`), and
 * keeps what it was sent.
 */
export const startServer = (answer) =>
  new Promise((resolve, reject) => {
    const received = []
    const server = createHttpServer((request, response) => {
      let body = ""
      request.setEncoding("utf8").on("data", (d) => (body += d))
      request.on("end", () => {
        received.push({ method: request.method, url: request.url, body })
        const { status, body: text } = answer(request, body)
        response.writeHead(status, { "content-type": "application/json; charset=utf-8" })
        response.end(text)
      })
    })
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        close: () => new Promise((done) => server.close(() => done()))
      })
    })
  })

/** Every form a secret could leak in: as it is, URI- and form-encoded, base64 (and url-safe, unpadded), hex. */
export const formsOf = (secret) => {
  const bytes = Buffer.from(secret, "utf8")
  const base64 = bytes.toString("base64")
  return [
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    base64,
    base64.replace(/=+$/, ""),
    bytes.toString("base64url"),
    bytes.toString("hex")
  ]
}

/** The forms of `secret` that occur in `text` (none, when it did not leak). */
export const leaksOf = (text, secret) => [...new Set(formsOf(secret))].filter((form) => text.includes(form))
