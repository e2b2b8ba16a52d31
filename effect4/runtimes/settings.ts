// The settings of the program, named as the environment variables (and worker bindings) that carry them.
import type { Settings } from "./program.js"

export const names = ["HOSECLOUD_URL", "HOSECLOUD_APP_KEY", "HOSECLOUD_APP_SECURITY", "WRONG_APP_SECURITY"] as const

export type Environment = Readonly<Record<(typeof names)[number], string>>

export const fromEnvironment = (get: (name: string) => string | undefined): Settings => {
  const value = (name: (typeof names)[number]) => {
    const found = get(name)
    if (found === undefined) throw new Error(`${name} is not set`)
    return found
  }
  return {
    url: value("HOSECLOUD_URL"),
    appKey: value("HOSECLOUD_APP_KEY"),
    appSecurity: value("HOSECLOUD_APP_SECURITY"),
    wrongSecurity: value("WRONG_APP_SECURITY")
  }
}
