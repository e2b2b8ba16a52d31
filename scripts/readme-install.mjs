// Prints the README's "project from nothing" steps for npm, as CI runs them in an empty folder: the commands
// that make the project (the block after `<!-- project:npm -->`), the npm install commands (after
// `<!-- install:npm -->`, with every `@effect-hosecloud/<package>@<range>` replaced by that package's packed
// tarball: what this repository would publish), and the `tsx` install (`<!-- project:npm-tsx -->`), as one
// shell script. With --tsconfig it prints the README's tsconfig.json instead, and with --run the commands
// that run a program. With --effect4 it prints the same steps with the Effect 4 line's install commands (after
// `<!-- install:npm:effect4 -->`), the tarballs being that line's.
//
// usage: node readme-install.mjs README.md <directory with the packed .tgz files> [--tsconfig | --run | --effect4]
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const [readme, tarballs, mode] = process.argv.slice(2)
const text = readFileSync(readme, "utf8")

/** The lines of the fenced block after a marker, without the indentation of a list item. */
const block = (marker, language) => {
  const found = text.match(new RegExp(`<!-- ${marker} -->\\s*\`\`\`${language}\\n([\\s\\S]*?)\`\`\``))
  if (found === null) {
    console.error(`the README has no ${language} block after <!-- ${marker} -->`)
    process.exit(1)
  }
  return found[1].split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"))
}

if (mode === "--tsconfig") {
  console.log(JSON.stringify(JSON.parse(block("project:tsconfig", "json").join("\n")), null, 2))
  process.exit(0)
}
if (mode === "--run") {
  console.log("set -euo pipefail")
  for (const command of block("project:run", "sh")) console.log(command)
  process.exit(0)
}

const packed = readdirSync(tarballs).filter((file) => file.endsWith(".tgz"))
const tarballOf = (name) => {
  const file = packed.find((f) => f.startsWith(`effect-hosecloud-${name}-`))
  if (file === undefined) throw new Error(`no packed tarball for @effect-hosecloud/${name}`)
  return join(tarballs, file)
}
const quiet = (command) => command.replace(/^npm install/, "npm install --no-audit --no-fund --loglevel=error")
const installs = block(mode === "--effect4" ? "install:npm:effect4" : "install:npm", "sh")
  .filter((line) => line.startsWith("npm install"))
if (installs.length === 0) {
  console.error("the README's npm install block has no npm install command")
  process.exit(1)
}
console.log("set -euo pipefail")
for (const command of block("project:npm", "sh")) console.log(command)
for (const command of installs) {
  console.log(quiet(command.replace(/@effect-hosecloud\/([a-z-]+)@\S+/g, (_, name) => tarballOf(name))))
}
for (const command of block("project:npm-tsx", "sh")) console.log(quiet(command))
