// The one list of test projects of the Effect 4 line; vitest.config.ts feeds it to `test.projects`.
export default ["packages/core", "packages/adapters", "packages/cli", "examples"]
