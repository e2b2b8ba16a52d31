// The hosecloud executable bundled: dist/bin.js (which tsc may have written) is replaced by a bundle of
// src/bin.ts and everything it imports at start-up, with what only some commands need split into
// dist/bin-chunks. Node then compiles a few modules at start-up instead of resolving and loading several
// hundred, which is most of the time `hosecloud --help` took. The workspace's packages are bundled from
// their sources (tsconfig.src.json maps them there), so the executable needs no build of theirs: `pnpm demo`
// runs this alone. Nothing is left out of the bundle but Node's own modules, so the package needs no
// runtime dependency. Its source maps are the bundle's own (mappings, without the sources' text).
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

rmSync(new URL("../dist/bin-chunks", import.meta.url), { recursive: true, force: true })
rmSync(new URL("../dist/bin.js.map", import.meta.url), { force: true })
await build({
  absWorkingDir: root,
  entryPoints: { bin: "src/bin.ts" },
  tsconfig: "tsconfig.src.json",
  sourcemap: "linked",
  sourcesContent: false,
  outdir: "dist",
  // what only some commands need (the simulator's server) is loaded when one of them runs
  splitting: true,
  chunkNames: "bin-chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  // the bundled CommonJS packages call require, which an ES module does not have
  banner: { js: "import { createRequire as __hosecloudRequire } from \"node:module\"\nconst require = __hosecloudRequire(import.meta.url)" },
  legalComments: "eof",
  logLevel: "warning"
})
