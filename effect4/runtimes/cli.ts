// The program as a command, for Bun and Deno: its settings come from the environment, its summary is one
// JSON line on stdout, a failure the exit code 1.
import { check } from "./program.js"
import { fromEnvironment } from "./settings.js"

declare const Deno: {
  readonly version: { readonly deno: string }
  readonly env: { get(name: string): string | undefined }
  exit(code: number): never
} | undefined
declare const Bun: { readonly version: string } | undefined
declare const process: { readonly env: Record<string, string | undefined>; exitCode?: number }

const runtime = typeof Deno !== "undefined"
  ? `deno ${Deno.version.deno}`
  : typeof Bun !== "undefined"
  ? `bun ${Bun.version}`
  : "node"
const get = (name: string) => typeof Deno !== "undefined" ? Deno.env.get(name) : process.env[name]

const fail = (error: unknown) => {
  console.error(String(error))
  if (typeof Deno !== "undefined") Deno.exit(1)
  process.exitCode = 1
}

try {
  check(runtime, fromEnvironment(get)).then((summary) => console.log(JSON.stringify(summary)), fail)
} catch (error) {
  fail(error)
}
