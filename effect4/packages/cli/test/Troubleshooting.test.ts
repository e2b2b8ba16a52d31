// docs/troubleshooting.md has a row for every error tag and reason a user can meet and for every exit code
// of the command line, read from the code: a reason added to a literal there must be explained here.
import { Cli } from "@effect-hosecloud/cli"
import { ApiError, AuthError, TokenStore } from "@effect-hosecloud/core"
import { assert, describe, it } from "@effect/vitest"
import type { Schema } from "effect"
import { readFileSync } from "node:fs"

// the page is the repository's, for both lines
/** The tag of an error class (Effect 4's error classes have no static `_tag`: their schema's `_tag` field says it). */
const tagOf = (error: { readonly fields: { readonly _tag: Schema.tag<string> } }) => String(error.fields._tag.ast.literal)

const page = readFileSync(new URL("../../../../docs/troubleshooting.md", import.meta.url), "utf8")
const rows = page.split("\n").filter((line) => line.startsWith("| `"))

/** The first cells of the page's table rows, as written: ["`SystemError`", "`Transport`"]. */
const hasRow = (...cells: ReadonlyArray<string>) =>
  rows.some((row) => {
    const found = row.split("|").slice(1).map((cell) => cell.trim())
    return cells.every((cell, i) => found[i] === `\`${cell}\``)
  })

describe("docs/troubleshooting.md", () => {
  it("explains every tag and reason of the library's errors, read from the code", () => {
    const reasons: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      [tagOf(AuthError.SystemError), AuthError.SystemErrorReason.literals],
      [tagOf(ApiError.ApiError), ApiError.ApiError.fields.reason.literals]
    ]
    for (const [tag, literals] of reasons) {
      assert.isAbove(literals.length, 3, tag)
      for (const reason of literals) assert.isTrue(hasRow(tag, reason), `no row for ${tag} ${reason}`)
    }
    const tags = [
      tagOf(AuthError.InvalidKey),
      tagOf(AuthError.InvalidOptions),
      tagOf(TokenStore.StoreError),
      tagOf(ApiError.Unauthorized),
      tagOf(ApiError.ForeignOrigin)
    ]
    for (const tag of tags) assert.isTrue(hasRow(tag), `no row for ${tag}`)
  })

  it("explains every exit code of the command line", () => {
    for (const [name, code] of Object.entries(Cli.ExitCode)) {
      assert.isTrue(hasRow(String(code)), `no row for exit code ${code} (${name})`)
    }
  })
})
