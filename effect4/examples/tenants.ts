// Many companies in one process: each set of credentials gets its own HosecloudAuth, built on first use and
// released when idle. The token host is HOSECLOUD_AUTH_URL; the tenants here are the simulator's two.
import { TenantRegistry } from "@effect-hosecloud/core"
import { FetchHttpClient } from "effect/http"
import { Config, Effect, Option, Redacted } from "effect"

const tenants = [
  { appKey: "demo-app-key", appSecurity: "demo-app-security" },
  { appKey: "demo-platform-key", appSecurity: "demo-platform-security" }
]

const program = Effect.gen(function*() {
  const authUrl = Option.getOrUndefined(yield* Config.option(Config.String("HOSECLOUD_AUTH_URL")))
  const registry = yield* TenantRegistry.TenantRegistry
  for (const tenant of tenants) {
    const token = yield* registry.token({ ...tenant, appSecurity: Redacted.make(tenant.appSecurity), authUrl })
    console.log(`tenant ${tenant.appKey}: token for ${token.corpId} (${token.scope})`)
  }
  console.log(`tenants held: ${yield* registry.size}`)
})

Effect.runPromise(
  program.pipe(Effect.provide(TenantRegistry.layer({ idleTimeToLive: "10 minutes" })), Effect.provide(FetchHttpClient.layer))
).catch((error) => {
  console.error(error.message) // one line: what failed and why
  process.exitCode = 1
})
