// Global setup of the Effect 4 line's runtime suite: builds and packs @effect-hosecloud/core and /adapters
// (1.x) as they are published, unpacks the tarballs into a node_modules of their own, and bundles the
// programs of this folder against them and effect 4 for a runtime without Node (esbuild, platform
// neutral). Bun and Deno run `cli.js`, workerd runs `worker.js` and the README's worker, examples/worker.ts
// (as `example-worker.js`).
import * as esbuild from "esbuild"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)

/** Where the bundles are written. */
export const outDir = path.join(root, "build", "runtimes")

const run = (command: string, args: ReadonlyArray<string>, cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })

export default async function setup(): Promise<void> {
  const packages = ["core", "adapters"] as const
  run(path.join(root, "node_modules", ".bin", "tsc"), ["-b", ...packages.map((name) => `packages/${name}/tsconfig.build.json`)], root)

  fs.rmSync(outDir, { recursive: true, force: true })
  const installed = path.join(outDir, "node_modules", "@effect-hosecloud")
  fs.mkdirSync(installed, { recursive: true })
  for (const name of packages) {
    const tarball = path.join(outDir, `${name}.tgz`)
    const packed = run("pnpm", ["pack", "--json", "--pack-destination", outDir], path.join(root, "packages", name))
    fs.renameSync(JSON.parse(packed).filename, tarball)
    fs.mkdirSync(path.join(installed, name))
    run("tar", ["xzf", tarball, "-C", path.join(installed, name), "--strip-components=1"], root)
  }

  await esbuild.build({
    entryPoints: {
      cli: path.join(here, "cli.ts"),
      worker: path.join(here, "worker.ts"),
      "example-worker": path.join(root, "examples", "worker.ts")
    },
    outdir: outDir,
    bundle: true,
    platform: "neutral",
    format: "esm",
    target: "es2022",
    mainFields: ["module", "main"],
    conditions: ["import"],
    // the unpacked tarballs first; effect 4 (its HTTP client included) from the workspace's own install
    nodePaths: [path.join(outDir, "node_modules"), path.join(root, "node_modules")],
    logLevel: "warning"
  })
}
