// 7. Start-up of the hosecloud executable, against node -e 0 and the smallest @effect/cli program.
import { Effect } from "effect"
import { build } from "esbuild"
import * as path from "node:path"
import { here, root } from "./fixtures.js"
import { log } from "./rounds.js"
import { startUpFindings } from "./rows.js"

export const startUp = Effect.gen(function*() {
  yield* log("7. hosecloud --help start-up")
  return yield* Effect.promise(() =>
    startUpFindings({
      node: process.execPath,
      bin: path.join(root, "packages/cli/dist/bin.js"),
      floorEntry: path.join(here, "cli-floor.ts"),
      floorBundle: path.join(root, "build/bench/cli-floor.mjs"),
      floorName: "@effect/cli",
      build
    })
  )
})
