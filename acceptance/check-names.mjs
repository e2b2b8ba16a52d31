// Checks that the two lines have the same public surface: the same packages, `exports` entries and `bin`
// names, and in every module the same exported names, of the same kind (a function stays a function), with
// the same members in each namespace they re-export. A difference passes only when
// intended-differences.json lists it with a reason; a listed difference that no longer occurs fails too,
// so the list stays true.
//
//   node acceptance/check-names.mjs acceptance/.out/names-effect3.json acceptance/.out/names-effect4.json \
//     acceptance/intended-differences.json
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"

const [effect3File, effect4File, intendedFile] = process.argv.slice(2)
if (intendedFile === undefined) {
  console.error("usage: node check-names.mjs <names-effect3.json> <names-effect4.json> <intended-differences.json>")
  process.exit(2)
}
for (const file of [effect3File, effect4File]) {
  if (!existsSync(file)) {
    console.error(`names check: ${file} is missing (its line's acceptance run did not install its packages)`)
    process.exit(1)
  }
}
const lines = { effect3: JSON.parse(readFileSync(effect3File, "utf8")), effect4: JSON.parse(readFileSync(effect4File, "utf8")) }
const intended = JSON.parse(readFileSync(intendedFile, "utf8")).differences

/** The fields that name a difference, in a fixed order: its identity. */
const identity = (difference) =>
  JSON.stringify(["package", "export", "bin", "module", "name", "member"].map((field) => difference[field] ?? null))

const describe = (d) =>
  [d.package, d.export ?? d.module, d.bin === undefined ? undefined : `bin ${d.bin}`, d.name, d.member]
    .filter((part) => part !== undefined)
    .join(" ") + (d.only === undefined ? `: ${d.kinds.effect3} on effect3, ${d.kinds.effect4} on effect4` : `: only on ${d.only}`)

const found = []
/** Records what one line has and the other lacks, for the keys of two lists or objects. */
const compareKeys = (a, b, make) => {
  const left = new Set(a)
  const right = new Set(b)
  for (const key of left) if (!right.has(key)) found.push({ ...make(key), only: "effect3" })
  for (const key of right) if (!left.has(key)) found.push({ ...make(key), only: "effect4" })
  return [...left].filter((key) => right.has(key))
}

for (const pkg of compareKeys(Object.keys(lines.effect3), Object.keys(lines.effect4), (name) => ({ package: name }))) {
  const [a, b] = [lines.effect3[pkg], lines.effect4[pkg]]
  compareKeys(a.exports, b.exports, (entry) => ({ package: pkg, export: entry }))
  compareKeys(a.bin, b.bin, (bin) => ({ package: pkg, bin }))
  for (const module of Object.keys(a.modules).filter((entry) => entry in b.modules)) {
    const [left, right] = [a.modules[module], b.modules[module]]
    for (const name of compareKeys(Object.keys(left), Object.keys(right), (name) => ({ package: pkg, module, name }))) {
      const [x, y] = [left[name], right[name]]
      if (Array.isArray(x) && Array.isArray(y)) {
        compareKeys(x, y, (member) => ({ package: pkg, module, name, member }))
      } else if (JSON.stringify(x) !== JSON.stringify(y)) {
        const kind = (v) => (Array.isArray(v) ? "namespace" : v)
        found.push({ package: pkg, module, name, kinds: { effect3: kind(x), effect4: kind(y) } })
      }
    }
  }
}

const problems = []
const listed = new Map()
for (const difference of intended) {
  if (typeof difference.reason !== "string" || difference.reason.trim().length < 10) {
    problems.push(`intended-differences.json: ${identity(difference)} gives no reason`)
  }
  listed.set(identity(difference), difference)
}
const occurred = new Set()
for (const difference of found) {
  const key = identity(difference)
  occurred.add(key)
  const entry = listed.get(key)
  if (entry === undefined) {
    problems.push(`not an intended difference: ${describe(difference)}`)
  } else if (JSON.stringify([entry.only, entry.kinds]) !== JSON.stringify([difference.only, difference.kinds])) {
    problems.push(`intended differently: ${describe(difference)} (the list says ${describe(entry)})`)
  }
}
for (const [key, entry] of listed) {
  if (!occurred.has(key)) problems.push(`listed in intended-differences.json but no longer a difference: ${describe(entry)}`)
}

const count = (line) =>
  Object.values(line).reduce((n, pkg) => n + Object.values(pkg.modules).reduce((m, names) => m + Object.keys(names).length, 0), 0)
if (problems.length > 0) {
  console.error(`names check FAILED (${path.basename(effect3File)} against ${path.basename(effect4File)}):`)
  for (const problem of problems) console.error(`  ${problem}`)
  process.exit(1)
}
console.log(
  `names check passed: ${Object.keys(lines.effect3).length} packages, ${count(lines.effect3)} exported names on effect3 and ` +
    `${count(lines.effect4)} on effect4; ${found.length} difference(s), each intended`
)
