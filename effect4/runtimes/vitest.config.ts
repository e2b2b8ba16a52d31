import { defineProject, mergeConfig } from "vitest/config"
import shared from "../vitest.shared.js"

// the test runs bundles of the packed libraries: bundle.ts builds them once, before the suite
export default mergeConfig(
  shared,
  defineProject({ test: { name: "runtimes", include: ["*.test.ts"], globalSetup: ["./bundle.ts"] } })
)
