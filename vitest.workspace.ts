// The one list of test projects; the root vitest.config.ts feeds it to `test.projects`.
export default ["packages/core", "packages/adapters", "packages/cli", "examples", "runtimes"]
