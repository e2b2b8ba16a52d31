// A Cloudflare Worker (workerd): the layers are built for each request, and the requests of an isolate share
// one token through a store in its memory. workerd ends a request's timers and I/O with its response, so
// nothing that runs in the background (a flight, a refresh) may outlive it: a token is bought on demand,
// by the request that finds none, while the isolate's other requests poll the store for it.
import { FetchHosecloud } from "@effect-hosecloud/adapters"
import { HosecloudClient, TokenStore } from "@effect-hosecloud/core"
import { Effect, Redacted, Schedule } from "effect"

interface Env {
  readonly HOSECLOUD_APP_KEY: string
  readonly HOSECLOUD_APP_SECURITY: string
  readonly HOSECLOUD_AUTH_URL?: string
  readonly HOSECLOUD_API_URL?: string
}

// the isolate's token, kept between requests (creating the store starts nothing)
const store = Effect.runSync(TokenStore.makeMemory)

const corporations = Effect.flatMap(HosecloudClient.HosecloudClient, (client) =>
  client.get("/api/openapi/v1/corporations")).pipe(
    Effect.flatMap(HosecloudClient.filterOk),
    Effect.flatMap((response) => response.json)
  )

export default {
  fetch: (_request: Request, env: Env): Promise<Response> =>
    corporations.pipe(
      Effect.provide(FetchHosecloud.layer({
        appKey: env.HOSECLOUD_APP_KEY,
        appSecurity: Redacted.make(env.HOSECLOUD_APP_SECURITY),
        authUrl: env.HOSECLOUD_AUTH_URL,
        apiUrl: env.HOSECLOUD_API_URL,
        store,
        // on demand only: a background refresh would not outlive the request that started it
        refreshSchedule: Schedule.recurs(0)
      })),
      Effect.match({
        onFailure: (error) => Response.json({ error: error._tag, message: error.message }, { status: 502 }),
        onSuccess: (body) => Response.json(body)
      }),
      Effect.runPromise
    )
}
