// 7. Start-up of the Effect 4 line's hosecloud executable, against node -e 0 and the smallest effect/cli program.
import { Effect } from "effect"
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { mkdirSync } from "node:fs"
import * as path from "node:path"
import { effect4Root as root, here } from "./fixtures.js"
import { compareRow, findings, fmt, interleave, log } from "./rounds.js"

export const startUp = Effect.gen(function*() {
  yield* log("7. hosecloud --help start-up")
  const found = findings()
  const bin = path.join(root, "packages/cli/dist/bin.js")
  const floorBundle = path.join(root, "build/bench/cli-floor.mjs")
  mkdirSync(path.dirname(floorBundle), { recursive: true })
  yield* Effect.promise(() =>
    build({
      entryPoints: [path.join(here, "cli-floor.ts")],
      outfile: floorBundle,
      bundle: true,
      platform: "node",
      format: "esm",
      banner: { js: "import { createRequire as __floorRequire } from \"node:module\"\nconst require = __floorRequire(import.meta.url)" },
      logLevel: "warning"
    })
  )
  const time = (args: ReadonlyArray<string>) =>
    Effect.sync(() => {
      const start = performance.now()
      const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] })
      if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`)
      return performance.now() - start
    })
  const m = yield* interleave({ help: time([bin, "--help"]), floor: time([floorBundle, "--help"]), empty: time(["-e", "0"]) })
  const unit = (n: number) => `${fmt(n, 0)} ms`
  const floorRow = compareRow({
    name: "the smallest effect/cli program, bundled alike, vs node -e 0",
    figure: m.floor,
    baseline: m.empty,
    unit,
    target: "(for comparison)",
    met: () => true
  })
  const help = compareRow({
    name: "hosecloud --help start-up vs node -e 0",
    figure: m.help,
    baseline: m.empty,
    unit,
    target: "≤ 3",
    met: (r) => r <= 3
  })
  found.rows.push(
    help.met ? help : {
      ...help,
      why: `The smallest effect/cli program, bundled alike, takes ${floorRow.figure} (${floorRow.ratio.toFixed(2)}x): ` +
        "compiling and evaluating effect (with effect/cli) and @effect/platform-node at start-up is the floor."
    },
    floorRow
  )
  return found
})
