// Checks the packed command line as a user installs it globally (`npm install --global`, here into a prefix
// of its own): what the install weighs (under 10 MB: the executable is one bundle, so the package needs no
// runtime dependency), that no dependency came with it, that the executable runs, and that each source
// map of the bundle is the bundle's own (it is linked from its file, maps the executable's lines and no more
// lines than its file has, and leads to the command line's sources).
//
// usage: node check-cli-package.mjs <the packed @effect-hosecloud/cli .tgz> <an empty directory>
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { basename, join } from "node:path"

const [tarball, prefix] = process.argv.slice(2)
const limit = 10 * 1024 * 1024

execFileSync("npm", ["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", tarball], {
  stdio: "inherit"
})

const sizeOf = (path) => {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.size
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0)
}
const problems = []
const installed = sizeOf(prefix)
if (installed >= limit) problems.push(`the global install weighs ${(installed / 1048576).toFixed(1)} MB (limit 10 MB)`)

const packageDir = join(prefix, "lib", "node_modules", "@effect-hosecloud", "cli")
if (existsSync(join(packageDir, "node_modules"))) {
  problems.push(`the install brought dependencies: ${readdirSync(join(packageDir, "node_modules")).join(", ")}`)
}
const version = execFileSync(join(prefix, "bin", "hosecloud"), ["--version"], { encoding: "utf8" }).trim()
const { version: packed } = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"))
if (version !== packed) problems.push(`hosecloud --version says ${version}, the package ${packed}`)

// the bundle's files and their maps
const dist = join(packageDir, "dist")
const bundled = ["bin.js", ...readdirSync(join(dist, "bin-chunks")).filter((f) => f.endsWith(".js")).map((f) => join("bin-chunks", f))]
let sources = []
for (const file of bundled) {
  const code = readFileSync(join(dist, file), "utf8")
  const mapFile = `${file}.map`
  if (!code.trimEnd().endsWith(`//# sourceMappingURL=${basename(mapFile)}`)) problems.push(`${file} does not point to its map`)
  if (!existsSync(join(dist, mapFile))) {
    problems.push(`${file} has no map`)
    continue
  }
  const map = JSON.parse(readFileSync(join(dist, mapFile), "utf8"))
  if (map.file !== undefined && map.file !== basename(file)) problems.push(`${mapFile} is the map of ${map.file}`)
  // the map's generated lines: one group per line of the bundle, up to its last mapped line
  const mappedLines = map.mappings.split(";").length
  const lines = code.split("\n").length
  if (mappedLines > lines) problems.push(`${mapFile} maps ${mappedLines} lines; ${file} has ${lines}`)
  // a map of the sources before bundling (as tsc writes) covers a few dozen lines of the bundle's thousands
  if (file === "bin.js" && mappedLines < lines * 0.9) problems.push(`${mapFile} maps ${mappedLines} lines of the ${lines} of ${file}`)
  sources = sources.concat(map.sources)
}
for (const wanted of ["src/bin.ts", "src/Cli.ts"]) {
  if (!sources.some((source) => source.endsWith(wanted))) problems.push(`no source map of the bundle leads to ${wanted}`)
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem)
  process.exit(1)
}
console.log(
  `@effect-hosecloud/cli installed globally: ${(installed / 1048576).toFixed(1)} MB, no dependencies, ` +
    `${bundled.length} bundled files with their own source maps`
)
