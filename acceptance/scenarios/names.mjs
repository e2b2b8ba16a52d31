// Prints (JSON) the public surface of the installed @effect-hosecloud packages: for each package its
// `exports` entries and `bin` names, and for each entry the names its module exports at run time (and,
// for a namespace it re-exports, the names inside it). check-names.mjs compares two lines' records.
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { project } from "./support.mjs"

const packages = ["@effect-hosecloud/core", "@effect-hosecloud/adapters", "@effect-hosecloud/cli"]

const isNamespace = (value) => Object.prototype.toString.call(value) === "[object Module]"

const record = {}
for (const name of packages) {
  const manifest = JSON.parse(readFileSync(path.join(project, "node_modules", name, "package.json"), "utf8"))
  const entries = Object.keys(manifest.exports ?? {}).sort()
  const modules = {}
  for (const entry of entries) {
    if (entry === "./package.json") continue
    const specifier = entry === "." ? name : `${name}/${entry.slice(2)}`
    const module = await import(specifier)
    const names = {}
    for (const key of Object.keys(module).sort()) {
      names[key] = isNamespace(module[key]) ? Object.keys(module[key]).sort() : typeof module[key]
    }
    modules[entry] = names
  }
  record[name] = { exports: entries, bin: Object.keys(manifest.bin ?? {}).sort(), modules }
}
console.log(JSON.stringify(record, null, 2))
