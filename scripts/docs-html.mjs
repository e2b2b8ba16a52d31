// The browsable documentation: after docgen has written each package's reference as Markdown
// (packages/*/docs/modules), this renders it as HTML into docs/api/, with the guide (docs/*.md) and the README,
// a home page and the same navigation on every page; then checks every link: a relative link must lead to a
// file that exists, and an anchor to a heading of the page. Open docs/api/index.html.
//
// With `effect4` it does the same for the Effect 4 line: its reference (effect4/packages/*/docs/modules) into
// effect4/docs/api/, with effect4/README.md (the root README when there is none) and MIGRATION.md as pages, and
// the same link check. Open effect4/docs/api/index.html.
//
// usage: node scripts/docs-html.mjs [effect3|effect4]    (effect3 when not given)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const require = createRequire(import.meta.url)
const Remarkable = require("remarkable")

const root = join(dirname(fileURLToPath(import.meta.url)), "..")
const line = process.argv[2] ?? "effect3"
if (line !== "effect3" && line !== "effect4") {
  console.error(`usage: node scripts/docs-html.mjs [effect3|effect4] (not ${line})`)
  process.exit(1)
}
const effect4 = line === "effect4"
// the line's workspace root: its packages, and the docs/api/ it writes
const base = effect4 ? join(root, "effect4") : root
const out = join(base, "docs", "api")
rmSync(out, { recursive: true, force: true })

const packages = ["core", "adapters", "cli"]

/** GitHub's anchors: lower case, punctuation dropped, spaces as hyphens. */
const slug = (text) =>
  text.trim().toLowerCase().replace(/<[^>]*>/g, "").replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-")

const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

/** Every page: its source (a Markdown file of the repository), where it goes, and its title. */
const pages = []
const guide = join(root, "docs")
// the guide is written for the Effect 3 line; the Effect 4 line's pages are the README and the migration notes
for (const file of effect4 ? [] : readdirSync(guide).filter((f) => f.endsWith(".md")).sort()) {
  pages.push({
    source: join(guide, file),
    target: join(out, "guide", file === "README.md" ? "index.html" : file.replace(/\.md$/, ".html")),
    title: file === "README.md" ? "The guide" : readFileSync(join(guide, file), "utf8").match(/^# (.*)$/m)?.[1] ?? file,
    section: "guide"
  })
}
const readme = effect4 && existsSync(join(base, "README.md")) ? join(base, "README.md") : join(root, "README.md")
pages.push({ source: readme, target: join(out, "readme.html"), title: "README", section: "readme" })
if (effect4) {
  pages.push({
    source: join(root, "MIGRATION.md"),
    target: join(out, "migration.html"),
    title: "Moving between the lines",
    section: "readme"
  })
}
const modules = {}
for (const name of packages) {
  const dir = join(base, "packages", name, "docs", "modules")
  if (!existsSync(dir)) {
    console.error(`no reference for ${relative(root, join(base, "packages", name))}: run docgen first (pnpm run docs)`)
    process.exit(1)
  }
  // index.md is docgen's list page for Jekyll; the home page below takes its place
  modules[name] = readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "index.md").sort()
  for (const file of modules[name]) {
    pages.push({
      source: join(dir, file),
      target: join(out, name, file.replace(/\.ts\.md$|\.md$/, ".html")),
      title: `@effect-hosecloud/${name}: ${file.replace(/\.md$/, "")}`,
      section: name
    })
  }
}
const targetOf = new Map(pages.map((page) => [page.source, page.target]))

/** The navigation, from the page at `from`. */
const navigation = (from) => {
  const link = (target, text) => `<a href="${escape(relative(dirname(from), target))}">${escape(text)}</a>`
  const list = (items) => `<ul>${items.map((item) => `<li>${item}</li>`).join("")}</ul>`
  return `<nav>${link(join(out, "index.html"), effect4 ? "effect-hosecloud (Effect 4)" : "effect-hosecloud")}` +
    (effect4 ? "" : `<h3>Guide</h3>${list(pages.filter((p) => p.section === "guide").map((p) => link(p.target, p.title)))}`) +
    `${list(pages.filter((p) => p.section === "readme").map((p) => link(p.target, p.title)))}` +
    packages.map((name) =>
      `<h3>@effect-hosecloud/${name}</h3>${
        list(pages.filter((p) => p.section === name).map((p) => link(p.target, p.title.replace(/^.*: /, ""))))
      }`
    ).join("") + "</nav>"
}

const layout = (title, from, body) =>
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { margin: 0; display: flex; font: 15px/1.55 system-ui, sans-serif; color: #1f2328; }
nav { flex: 0 0 16rem; padding: 1rem; background: #f6f8fa; border-right: 1px solid #d0d7de; min-height: 100vh; }
nav ul { list-style: none; padding-left: 0.5rem; margin: 0.25rem 0 0.75rem; }
nav h3 { font-size: 0.85rem; margin: 1rem 0 0.25rem; }
main { flex: 1; padding: 1rem 2rem; max-width: 60rem; overflow-x: auto; }
pre { background: #f6f8fa; padding: 0.75rem; overflow-x: auto; }
code { font-size: 0.9em; }
table { border-collapse: collapse; } td, th { border: 1px solid #d0d7de; padding: 0.25rem 0.5rem; vertical-align: top; }
a { color: #0969da; }
</style>
</head>
<body>
${navigation(from)}
<main>
${body}
</main>
</body>
</html>
`

const markdown = new Remarkable("full", { html: true })
// anchors as GitHub (and docgen's tables of contents) make them: a repeated heading gets -1, -2, ...
let used = new Map()
markdown.renderer.rules.heading_open = (tokens, i) => {
  const base = slug(tokens[i + 1].content ?? "")
  const seen = used.get(base) ?? 0
  used.set(base, seen + 1)
  return `<h${tokens[i].hLevel} id="${seen === 0 ? base : `${base}-${seen}`}">`
}

/** A relative link of the page at `source`, pointed at what it leads to among the rendered pages. */
const relink = (source, target) => (href) => {
  if (/^[a-z]+:/i.test(href) || href.startsWith("#")) return href
  const [path, anchor] = href.split("#")
  const wanted = resolve(dirname(source), decodeURIComponent(path))
  const rendered = targetOf.get(wanted) ?? (existsSync(join(wanted, "README.md")) ? targetOf.get(join(wanted, "README.md")) : undefined)
  const to = rendered ?? wanted
  return `${relative(dirname(target), to) || "."}${anchor === undefined ? "" : `#${anchor}`}`
}

for (const page of pages) {
  used = new Map()
  // without the front matter, and without the README's markers (an HTML comment would swallow the block after it)
  const text = readFileSync(page.source, "utf8").replace(/^---\n[\s\S]*?\n---\n/, "").replace(/^\s*<!-- [\w:./-]+ -->\n/gm, "")
  const body = markdown.render(text).replace(/href="([^"]*)"/g, (_, href) => `href="${escape(relink(page.source, page.target)(href.replace(/&amp;/g, "&")))}"`)
  mkdirSync(dirname(page.target), { recursive: true })
  writeFileSync(page.target, layout(page.title, page.target, body))
}

// the home page: the guide, and each package with its description and modules
const home = join(out, "index.html")
const homeBody = `${effect4 ? `<h1>effect-hosecloud for Effect 4</h1>
<p>Access tokens for the Hosecloud (合思) Open API, the Effect way: the line for Effect 4. Start with the
<a href="readme.html">README</a>, or with <a href="migration.html">the migration notes</a> when coming from the Effect 3
line; the API reference of each package follows.</p>` : `<h1>effect-hosecloud</h1>
<p>Access tokens for the Hosecloud (合思) Open API, the Effect way. Start with the <a href="guide/index.html">guide</a>
or the <a href="readme.html">README</a>; the API reference of each package follows.</p>`}
${packages.map((name) => {
  const manifest = JSON.parse(readFileSync(join(base, "packages", name, "package.json"), "utf8"))
  return `<h2 id="${name}">@effect-hosecloud/${name} ${escape(manifest.version)}</h2><p>${escape(manifest.description)}</p><ul>${
    pages.filter((p) => p.section === name).map((p) => `<li><a href="${escape(relative(out, p.target))}">${escape(p.title.replace(/^.*: /, ""))}</a></li>`).join("")
  }</ul>`
}).join("\n")}`
writeFileSync(home, layout(effect4 ? "effect-hosecloud for Effect 4" : "effect-hosecloud", home, homeBody))

// the link check
const problems = []
const idsOf = new Map()
const ids = (file) => {
  if (!idsOf.has(file)) idsOf.set(file, new Set([...readFileSync(file, "utf8").matchAll(/ id="([^"]*)"/g)].map((m) => m[1])))
  return idsOf.get(file)
}
let links = 0
for (const file of [home, ...pages.map((p) => p.target)]) {
  for (const [, raw] of readFileSync(file, "utf8").matchAll(/href="([^"]*)"/g)) {
    const href = raw.replace(/&amp;/g, "&")
    if (/^[a-z]+:/i.test(href)) continue
    links++
    const [path, anchor] = href.split("#")
    const to = path === "" ? file : resolve(dirname(file), decodeURIComponent(path))
    if (!existsSync(to)) {
      problems.push(`${relative(root, file)}: ${href} leads nowhere`)
    } else if (anchor !== undefined && anchor !== "" && to.endsWith(".html") && !ids(to).has(decodeURIComponent(anchor))) {
      problems.push(`${relative(root, file)}: ${href} names no heading of ${relative(root, to)}`)
    }
  }
}
if (problems.length > 0) {
  for (const problem of problems) console.error(problem)
  console.error(`${problems.length} broken links`)
  process.exit(1)
}
console.log(`${relative(root, home)}: ${pages.length + 1} pages, ${links} links checked, none broken`)
