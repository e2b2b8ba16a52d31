// The README's examples are the programs in examples/: every ```ts block preceded by
// `<!-- examples/<file> -->` must be that file, verbatim (the examples themselves are type-checked by
// `tsc -b` and run by CI against the simulator). A ts block without such a marker is type-checked here, and so
// is every ts block of the guide (docs/*.md). The install commands must name the packages' version line.
import { execFileSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const out = join(root, "build", "readme")
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const text = readFileSync(join(root, "README.md"), "utf8")
const problems = []
const loose = []
let examples = 0
for (const match of text.matchAll(/(?:<!-- (examples\/[\w.-]+) -->\n)?```ts\n([\s\S]*?)```/g)) {
  const [, file, code] = match
  if (file === undefined) {
    loose.push(code)
    continue
  }
  examples++
  let wanted
  try {
    wanted = readFileSync(join(root, file), "utf8")
  } catch {
    problems.push(`${file} is shown in the README but does not exist`)
    continue
  }
  if (wanted !== code) problems.push(`the README's copy of ${file} differs from the file`)
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem)
  console.error("Copy the examples into the README again (each block is the whole file).")
  process.exit(1)
}

// every install command of the READMEs names a line's own version range (`@^0.2` for 0.2.x, `@^1.0` for 1.x):
// the Effect 3 line's (packages/) or, in the root README and effect4/'s, the Effect 4 line's (effect4/packages/)
const versionsOf = (base) => Object.fromEntries(["core", "adapters", "cli"].map((name) => [
  name,
  JSON.parse(readFileSync(join(root, base, "packages", name, "package.json"), "utf8")).version
]))
const versions = versionsOf(".")
const versions4 = versionsOf("effect4")
const rangeOf = (version) => {
  const [major, minor] = version.split(".")
  return major === "0" ? `^0.${minor}` : `^${major}`
}
const readmes = [
  ["README.md", [versions, versions4]],
  ["packages/core/README.md", [versions]],
  ["packages/adapters/README.md", [versions]],
  ["packages/cli/README.md", [versions]],
  ["effect4/packages/core/README.md", [versions4]],
  ["effect4/packages/adapters/README.md", [versions4]],
  ["effect4/packages/cli/README.md", [versions4]]
]
for (const [readme, lines] of readmes) {
  const content = readFileSync(join(root, readme), "utf8")
  for (const [, name, range] of content.matchAll(/@effect-hosecloud\/([a-z-]+)@(\S+?)[`\s]/g)) {
    if (range === "effect3") continue
    const allowed = lines.map((line) => rangeOf(line[name] ?? "?"))
    if (!allowed.some((line) => range === line || range.startsWith(`${line}.`))) {
      problems.push(`${readme} installs @effect-hosecloud/${name}@${range}; the packages are ${allowed.join(" or ")}`)
    }
  }
}
// each package says where its repository, guide and issues are
for (const name of Object.keys(versions)) {
  const manifest = JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8"))
  if (manifest.repository?.directory !== `packages/${name}` || typeof manifest.repository?.url !== "string") {
    problems.push(`packages/${name}/package.json: repository must give url and directory packages/${name}`)
  }
  if (typeof manifest.homepage !== "string" || typeof manifest.bugs?.url !== "string") {
    problems.push(`packages/${name}/package.json: homepage and bugs.url are missing`)
  }
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push(`packages/${name}/package.json: no keywords`)
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem)
  process.exit(1)
}

loose.forEach((code, i) => writeFileSync(join(out, `README_md_${i + 1}.ts`), `${code}\nexport {}\n`))

// the guide's TypeScript blocks (docs/*.md) compile too
let guided = 0
for (const page of readdirSync(join(root, "docs")).filter((file) => file.endsWith(".md"))) {
  const content = readFileSync(join(root, "docs", page), "utf8")
  for (const [, code] of content.matchAll(/```ts\n([\s\S]*?)```/g)) {
    guided++
    writeFileSync(join(out, `docs_${page.replace(/\W/g, "_")}_${guided}.ts`), `${code}\nexport {}\n`)
  }
}
if (loose.length + guided > 0) {
  writeFileSync(join(out, "tsconfig.json"), JSON.stringify({
    extends: "../../tsconfig.base.json",
    compilerOptions: { composite: false, incremental: false, noEmit: true, noUnusedLocals: false, types: ["node"] },
    include: ["./*.ts"]
  }, null, 2))
  try {
    execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(out, "tsconfig.json")], { stdio: "inherit" })
  } catch {
    console.error("A README example does not compile (see above).")
    process.exit(1)
  }
}
console.log(`README examples: ${examples} are the files of examples/, ${loose.length} more compile; the guide's: ${guided} compile`)
