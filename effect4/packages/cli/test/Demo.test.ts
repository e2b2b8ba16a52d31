import { CliIO, Demo } from "@effect-hosecloud/cli"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"

it.live("the demo's steps all hold, on real HTTP, and end by themselves", () =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const io: CliIO.Service = {
      out: (line) => Effect.sync(() => void out.push(line)),
      err: (line) => Effect.sync(() => void out.push(`ERR ${line}`)),
      prompt: () => Effect.succeed(Option.none()),
      readAll: Effect.succeedNone
    }
    yield* Demo.run.pipe(
      Effect.provide(Layer.mergeAll(NodeHttpClient.layerUndici, Layer.succeed(CliIO.CliIO, io))),
      Effect.timeout("30 seconds")
    )
    const checked = out.filter((line) => line.startsWith("   ✔ "))
    assert.deepStrictEqual(checked, [
      "   ✔ building the layer made no request (lazy)",
      "   ✔ one token request",
      "   ✔ 1,000 callers got the same token from 1 token request",
      "   ✔ the new token came before the old one expired, without any caller asking",
      "   ✔ the caller got a token after 3 requests (2 SystemError)",
      "   ✔ the call succeeded (HTTP 200) after 1 refusal and 1 new token",
      "   ✔ InvalidKey, asked twice, 1 request: not retried, not hammered"
    ])
    assert.include(out.join("\n"), "traceId 5d1c0ffee0ddf00d5d1c0ffee0ddf00d")
    assert.notInclude(out.join("\n"), "demo-app-security")
    assert.match(out.at(-1) ?? "", /^Done in \d+\.\d s/)
  }), 60_000)
