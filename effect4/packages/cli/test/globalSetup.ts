// The process tests run the real executable, `node dist/bin.js`, so that signals reach the program
// itself: build it (and the packages it imports) first, and bundle it as the package's build does.
// `tsc -b` does nothing when it is up to date.
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export default function setup() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..")
  execFileSync(process.execPath, [path.join(root, "node_modules/typescript/bin/tsc"), "-b", path.join(root, "packages/cli/tsconfig.build.json")], {
    cwd: root,
    stdio: "inherit"
  })
  execFileSync(process.execPath, [path.join(root, "packages/cli/scripts/bundle-bin.mjs")], { cwd: root, stdio: "inherit" })
}
