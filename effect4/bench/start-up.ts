// 7. Start-up of the Effect 4 line's hosecloud executable, against node -e 0 and the smallest effect/cli program.
import { Effect } from "effect"
import { build } from "esbuild"
import * as path from "node:path"
import { effect4Root as root, here } from "./fixtures.js"
import { log } from "./rounds.js"
import { startUpFindings } from "../../bench/rows.js"

export const startUp = Effect.gen(function*() {
  yield* log("7. hosecloud --help start-up")
  return yield* Effect.promise(() =>
    startUpFindings({
      node: process.execPath,
      bin: path.join(root, "packages/cli/dist/bin.js"),
      floorEntry: path.join(here, "cli-floor.ts"),
      floorBundle: path.join(root, "build/bench/cli-floor.mjs"),
      floorName: "effect/cli",
      bundle: (entry, outfile) =>
        build({
          entryPoints: [entry],
          outfile,
          bundle: true,
          platform: "node",
          format: "esm",
          banner: { js: "import { createRequire as __floorRequire } from \"node:module\"\nconst require = __floorRequire(import.meta.url)" },
          logLevel: "warning"
        })
    })
  )
})
