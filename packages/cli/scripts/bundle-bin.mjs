// The hosecloud executable bundled: dist/bin.js, as tsc wrote it, is replaced by a bundle of it and
// everything it imports at start-up, with what only some commands need split into dist/bin-chunks. Node
// then compiles a few modules at start-up instead of resolving and loading several hundred, which is most
// of the time `hosecloud --help` took.
import { build } from "esbuild"
import { rmSync } from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))

rmSync(new URL("../dist/bin-chunks", import.meta.url), { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: { bin: "src/bin.ts" },
  outdir: "dist",
  // what only some commands need (the simulator's server) is loaded when one of them runs
  splitting: true,
  chunkNames: "bin-chunks/[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  // the bundled CommonJS packages call require, which an ES module does not have
  banner: { js: "import { createRequire as __hosecloudRequire } from \"node:module\"\nconst require = __hosecloudRequire(import.meta.url)" },
  legalComments: "eof",
  logLevel: "warning"
})
