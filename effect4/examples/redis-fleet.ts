// Every replica of a deployment runs this, with the same HOSECLOUD_* variables, HOSECLOUD_REDIS_URL and
// HOSECLOUD_TOKEN_KEY (a random key: `openssl rand -base64 32`): per refresh, one token request for the
// whole fleet, encrypted at rest.
import * as RedisTokenStore from "@effect-hosecloud/adapters/RedisTokenStore"
import { HosecloudAuth, HosecloudClient } from "@effect-hosecloud/core"
import { NodeHttpClient } from "@effect/platform-node"
import { Config, Effect, Layer } from "effect"

const AuthLive = Layer.unwrap(
  Effect.map(
    Config.all({ credentials: HosecloudAuth.config, encryptionKey: Config.Redacted("HOSECLOUD_TOKEN_KEY") }),
    ({ credentials, encryptionKey }) => HosecloudAuth.layerShared({ ...credentials, encryptionKey })
  )
).pipe(Layer.provide(Layer.mergeAll(RedisTokenStore.layerConfig, NodeHttpClient.layerUndici)))

const ClientLive = HosecloudClient.layerConfig().pipe(
  Layer.provideMerge(AuthLive),
  Layer.provide(NodeHttpClient.layerUndici)
)

const program = Effect.gen(function*() {
  const auth = yield* HosecloudAuth.HosecloudAuth
  const client = yield* HosecloudClient.HosecloudClient
  const token = yield* auth.token
  const response = yield* client.get("/api/openapi/v1/corporations")
  console.log(`shared token for ${token.corpId}; corporations answered HTTP ${response.status}`)
})

Effect.runPromise(program.pipe(Effect.provide(ClientLive))).catch((error) => {
  console.error(error.message) // one line: what failed and why
  process.exitCode = 1
})
