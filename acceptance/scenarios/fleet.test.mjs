// A fleet: replicas in separate processes sharing one token through RedisTokenStore, on a redis-server of
// the suite's own and a simulator served over loopback. Counted: the token requests the whole fleet makes.
import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import { Effect } from "effect"
import { Redis } from "ioredis"
import assert from "node:assert/strict"
import { randomBytes } from "node:crypto"
import { after, before, describe, it } from "node:test"
import { runProgram, startRedis } from "./support.mjs"

const encryptionKey = randomBytes(32).toString("base64")

const replica = (simulatorUrl, redisUrl, callers) =>
  runProgram("replica.mjs", {
    SIMULATOR_URL: simulatorUrl,
    REDIS_URL: redisUrl,
    HOSECLOUD_TOKEN_KEY: encryptionKey,
    CALLERS: String(callers)
  })

const tokensOf = (result) => {
  assert.equal(result.code, 0, `a replica failed: ${result.stderr}`)
  return JSON.parse(result.stdout.trim().split("\n").at(-1)).distinct
}

describe("a fleet sharing one token through Redis", () => {
  let redis
  before(async () => {
    redis = await startRedis()
  })
  after(async () => {
    await redis?.stop()
  })

  it("4 replica processes x 100 callers at a cold start make one token request; a replica started later makes none", async () => {
    const result = await Effect.runPromise(
      Effect.gen(function*() {
        const { url } = yield* NodeSimulator.SimulatorAddress
        const sim = yield* HosecloudSimulator.HosecloudSimulator
        const cold = yield* Effect.promise(() => Promise.all(Array.from({ length: 4 }, () => replica(url, redis.url, 100))))
        const coldRequests = yield* sim.count("v3.getAccessToken")
        const late = yield* Effect.promise(() => replica(url, redis.url, 10))
        return { cold, coldRequests, late, requests: yield* sim.count("v3.getAccessToken"), issued: yield* sim.issued }
      }).pipe(Effect.provide(NodeSimulator.layer()))
    )
    const coldTokens = result.cold.map(tokensOf)
    for (const tokens of coldTokens) assert.equal(tokens.length, 1, "every caller of a replica has the same token")
    assert.equal(new Set(coldTokens.flat()).size, 1, "every replica has the same token")
    assert.equal(result.coldRequests, 1, "one token request for the whole fleet")
    assert.deepEqual(tokensOf(result.late), coldTokens[0], "the late replica takes the stored token")
    assert.equal(result.requests, 1)
    assert.equal(result.issued.length, 1)

    // the token rests encrypted: no stored value holds it
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 })
    try {
      await client.connect()
      const keys = await client.keys("*")
      assert.ok(keys.length > 0, "the fleet stored its token in Redis")
      for (const key of keys) {
        const value = (await client.type(key)) === "string" ? await client.get(key) : JSON.stringify(await client.hgetall(key))
        assert.ok(!value.includes(coldTokens[0][0]), `${key} holds the token in clear`)
        assert.ok(!value.includes("demo-app-security"), `${key} holds appSecurity`)
      }
    } finally {
      client.disconnect()
    }
  })
})
