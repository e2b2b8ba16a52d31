/**
 * A Hosecloud URL read from configuration, checked as `Validation.checkUrl` checks an option: a refused one
 * is a `ConfigError` naming the variable, with the reason in words.
 *
 * @internal
 */
import * as Config from "effect/Config"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Validation from "../Validation.js"

/** @internal */
export const urlConfig = (name: string): Config.Config<string> =>
  Config.schema(
    Schema.String.check(Schema.makeFilter((url: string) =>
      Result.match(Validation.checkUrl(url), {
        onFailure: (message) => message,
        onSuccess: () => undefined
      })
    )),
    name
  )
