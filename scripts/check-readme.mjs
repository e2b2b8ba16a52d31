// Type-checks every ```ts block of the README files against the workspace sources, so that each
// example a user copies compiles as written.
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const out = join(root, "build", "readme")
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const sources = ["README.md", "packages/core/README.md", "packages/adapters/README.md"]
const files = []
for (const source of sources) {
  let text
  try {
    text = readFileSync(join(root, source), "utf8")
  } catch {
    continue
  }
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
  blocks.forEach((code, i) => {
    const file = join(out, `${source.replace(/[/.]/g, "_")}_${i + 1}.ts`)
    // each block is its own module
    writeFileSync(file, `${code}\nexport {}\n`)
    files.push(file)
  })
}

writeFileSync(join(out, "tsconfig.json"), JSON.stringify({
  extends: "../../tsconfig.base.json",
  compilerOptions: {
    composite: false,
    incremental: false,
    noEmit: true,
    noUnusedLocals: false,
    types: ["node"],
    baseUrl: "../..",
    rootDir: "../.."
  },
  include: ["./*.ts"]
}, null, 2))

try {
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(out, "tsconfig.json")], { stdio: "inherit" })
} catch {
  console.error("A README example does not compile (see above).")
  process.exit(1)
}
console.log(`README examples compile: ${files.length} blocks`)
