import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const root = path.dirname(fileURLToPath(import.meta.url))

// Tests run against the sources of the workspace packages, not their build output.
const config: ViteUserConfig = {
  resolve: {
    alias: [
      { find: /^@effect-hosecloud\/core\/testing$/, replacement: path.join(root, "packages/core/src/testing.ts") },
      { find: /^@effect-hosecloud\/core$/, replacement: path.join(root, "packages/core/src/index.ts") },
      { find: /^@effect-hosecloud\/adapters$/, replacement: path.join(root, "packages/adapters/src/index.ts") },
      { find: /^@effect-hosecloud\/adapters\/(\w+)$/, replacement: path.join(root, "packages/adapters/src/$1.ts") },
      { find: /^@effect-hosecloud\/cli$/, replacement: path.join(root, "packages/cli/src/index.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000
  }
}

export default config
