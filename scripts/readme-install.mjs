// Prints, as a shell script, the README's npm install commands (the block after `<!-- install:npm -->`),
// with every `@effect-hosecloud/<package>@<range>` replaced by that package's packed tarball: the commands
// a new user copies, run against what this repository would publish.
//
// usage: node readme-install.mjs README.md <directory with the packed .tgz files>
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const [readme, tarballs] = process.argv.slice(2)
const text = readFileSync(readme, "utf8")
const block = text.match(/<!-- install:npm -->\s*```sh\n([\s\S]*?)```/)
if (block === null) {
  console.error("the README has no npm install block (after <!-- install:npm -->)")
  process.exit(1)
}
const packed = readdirSync(tarballs).filter((file) => file.endsWith(".tgz"))
const tarballOf = (name) => {
  const file = packed.find((f) => f.startsWith(`effect-hosecloud-${name}-`))
  if (file === undefined) throw new Error(`no packed tarball for @effect-hosecloud/${name}`)
  return join(tarballs, file)
}
const commands = block[1]
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line.startsWith("npm install"))
if (commands.length === 0) {
  console.error("the README's npm install block has no npm install command")
  process.exit(1)
}
console.log("set -euo pipefail")
for (const command of commands) {
  const local = command.replace(/@effect-hosecloud\/([a-z-]+)@\S+/g, (_, name) => tarballOf(name))
  console.log(local.replace(/^npm install/, "npm install --no-audit --no-fund --loglevel=error"))
}
