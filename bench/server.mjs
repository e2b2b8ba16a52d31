// The end-to-end benchmarks' server, in a process of its own so that its work does not share the
// client's event loop: it answers the v3 token endpoint for any appKey (one new token per request,
// counted) and `GET /api/openapi/v1/corporations` for a token it issued, like the simulator, with
// nothing else. It prints its URL as one JSON line and serves until it is killed.
//   GET  /bench/count  -> { "tokens": n }    how many token requests it has answered
import { createServer } from "node:http"

const lifetimeMs = Number(process.env.TOKEN_LIFETIME_MS ?? 7_200_000)
const issued = new Map()
let tokens = 0

const json = (response, status, body) => {
  const text = JSON.stringify(body)
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  response.end(text)
}

const server = createServer((request, response) => {
  const url = new URL(request.url, "http://localhost")
  if (request.method === "POST" && url.pathname === "/auth/openApi/v3/getAccessToken") {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      const { appKey } = JSON.parse(body)
      tokens++
      const accessToken = `bench-${tokens}-${"x".repeat(880)}`
      const corpId = `CORP-${appKey}`
      issued.set(accessToken, corpId)
      json(response, 200, {
        code: "200",
        msg: "ok",
        data: { corpId, accessToken, refreshToken: `refresh-${tokens}`, expiresTime: Date.now() + lifetimeMs, scope: "tenant" }
      })
    })
    return
  }
  if (request.method === "GET" && url.pathname === "/api/openapi/v1/corporations") {
    const corpId = issued.get(url.searchParams.get("accessToken"))
    if (corpId === undefined) return json(response, 403, { code: "403", msg: "未授权" })
    return json(response, 200, { value: { id: corpId, name: "Bench Corporation" } })
  }
  if (request.method === "GET" && url.pathname === "/bench/count") return json(response, 200, { tokens })
  json(response, 404, { code: "404", msg: "not found" })
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`)
})
