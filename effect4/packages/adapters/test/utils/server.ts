import { Effect } from "effect"
import { createServer, type IncomingMessage } from "node:http"

export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

export interface Answer {
  readonly status: number
  readonly headers?: Record<string, string>
  readonly body?: string
}

/**
 * A plain `node:http` server on a free loopback port for the test's scope, answering with `handler` and
 * recording every request it receives, body included.
 */
export const scriptedServer = (handler: (request: Received) => Answer) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ readonly url: string; readonly received: Array<Received>; readonly close: () => Promise<void> }>(
        (resolve) => {
          const received: Array<Received> = []
          const server = createServer((req, res) => {
            const chunks: Array<Buffer> = []
            req.on("data", (chunk: Buffer) => chunks.push(chunk))
            req.on("end", () => {
              const request = {
                method: req.method ?? "",
                url: req.url ?? "",
                headers: req.headers,
                body: Buffer.concat(chunks).toString("utf8")
              }
              received.push(request)
              const answer = handler(request)
              res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers })
              res.end(answer.body ?? "")
            })
          })
          server.listen(0, "127.0.0.1", () => {
            const address = server.address()
            const port = typeof address === "object" && address !== null ? address.port : 0
            resolve({
              url: `http://127.0.0.1:${port}`,
              received,
              close: () =>
                new Promise<void>((done) => {
                  server.closeAllConnections()
                  server.close(() => done())
                })
            })
          })
        }
      )
    ),
    (server) => Effect.promise(() => server.close())
  )

/** A v3 token answer, as Hosecloud sends it. */
export const v3Token = (token: string, lifetimeMillis = 7_200_000): Answer => ({
  status: 200,
  body: JSON.stringify({
    code: "200",
    msg: "操作成功",
    data: {
      corpId: "LOOPcorp0001",
      accessToken: token,
      refreshToken: `refresh-${token}`,
      expiresTime: Date.now() + lifetimeMillis,
      scope: "tenant"
    }
  })
})
