// Where the CPU time goes, for both lines: a sampling CPU profile of this process, by whose code ran (the
// `effect` runtime, this library's built code, Node, the collector) and by function. Needs no Effect: each
// line starts and stops it around the work it measures.
import * as inspector from "node:inspector/promises"
import { fmt } from "./measure.js"

/** Whose code a CPU sample fell in, from its script's URL. */
const categoryOf = (url: string, functionName: string): string => {
  if (functionName === "(garbage collector)") return "garbage collection"
  if (url.includes("/@effect/platform/") || url.includes("/platform/dist/")) return "@effect/platform"
  if (url.includes("/effect/dist/")) return "effect (runtime, fibers, data types)"
  if (url.includes("/packages/core/dist/") || url.includes("/packages/core/src/")) return "this library"
  if (url === "" || url.startsWith("node:") || !url.includes("/")) return "Node (fetch Response, AbortController, streams)"
  return "other (the bench itself)"
}

interface CpuProfile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string } }>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/** CPU µs per unit of work, by category and by function. */
export interface Shares {
  readonly categories: ReadonlyMap<string, number>
  readonly functions: ReadonlyMap<string, number>
}

/** A sampling profile: `start` it, run the work, `stop` it with the number of units of work done. */
export const profiler = () => {
  const session = new inspector.Session()
  return {
    start: async (): Promise<void> => {
      session.connect()
      await session.post("Profiler.enable")
      await session.post("Profiler.setSamplingInterval", { interval: 200 })
      await session.post("Profiler.start")
    },
    stop: async (units: number): Promise<Shares> => {
      const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: CpuProfile }
      session.disconnect()
      const byNode = new Map(profile.nodes.map((node) => [node.id, node]))
      const categories = new Map<string, number>()
      const functions = new Map<string, number>()
      profile.samples.forEach((id, i) => {
        const frame = byNode.get(id)?.callFrame
        if (frame === undefined || frame.functionName === "(idle)" || frame.functionName === "(program)") return
        const category = categoryOf(frame.url, frame.functionName)
        categories.set(category, (categories.get(category) ?? 0) + profile.timeDeltas[i] / units)
        const where = `${frame.functionName === "" ? "(anonymous)" : frame.functionName} (${
          frame.url === "" ? "native" : frame.url.split("/").slice(-2).join("/")
        })`
        functions.set(where, (functions.get(where) ?? 0) + profile.timeDeltas[i] / units)
      })
      return { categories, functions }
    }
  }
}

/** The sum of a profile's shares. */
export const total = (m: ReadonlyMap<string, number>): number => Array.from(m.values()).reduce((a, b) => a + b, 0)

/** The `count` functions that cost `a` the most more than `b`, as text. */
export const topDifferences = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>, count: number) =>
  Array.from(new Set([...a.keys(), ...b.keys()]))
    .map((key) => [key, (a.get(key) ?? 0) - (b.get(key) ?? 0)] as const)
    .sort((x, y) => y[1] - x[1])
    .slice(0, count)
    .map(([key, micros]) => `${key} +${fmt(micros, 2)} µs`)
    .join(", ")

/** Where `a` costs more CPU than `b` (profiles of as many units of work each), in words. */
export const whyByProfile = (aName: string, bName: string, pa: Shares, pb: Shares): string => {
  const more = (key: string) => ((pa.categories.get(key) ?? 0) - (pb.categories.get(key) ?? 0)).toFixed(1)
  return `A sampling profile of each: ${aName} cost ${(total(pa.categories) - total(pb.categories)).toFixed(1)} µs ` +
    `of CPU per unit more than ${bName} (${total(pa.categories).toFixed(1)} against ${
      total(pb.categories).toFixed(1)
    }): ${more("effect (runtime, fibers, data types)")} µs in Effect's runtime, ${more("this library")} µs in this ` +
    `library's code, ${more("garbage collection")} µs in garbage collection, ${
      more("Node (fetch Response, AbortController, streams)")
    } µs in Node and ${more("@effect/platform")} µs in @effect/platform. The functions that cost it the most ` +
    `more: ${topDifferences(pa.functions, pb.functions, 10)}.`
}

/** Where an in-memory request's CPU goes, client against bare request: a section of the report. */
export const profileTable = (clientName: string, client: Shares, bareName: string, bare: Shares): Array<string> => {
  const c = client.categories
  const b = bare.categories
  const categories = Array.from(new Set([...c.keys(), ...b.keys()]))
    .sort((x, y) => ((c.get(y) ?? 0) - (b.get(y) ?? 0)) - ((c.get(x) ?? 0) - (b.get(x) ?? 0)))
  return [
    "Where an in-memory request's CPU time goes (a sampling profile of 10,000 requests of each, tracing off), in",
    "µs per request, by whose code ran:",
    "",
    `| code | ${clientName} | ${bareName} | difference |`,
    "| --- | --- | --- | --- |",
    ...categories.map((k) =>
      `| ${k} | ${fmt(c.get(k) ?? 0, 2)} | ${fmt(b.get(k) ?? 0, 2)} | ${fmt((c.get(k) ?? 0) - (b.get(k) ?? 0), 2)} |`
    ),
    `| all | ${fmt(total(c), 2)} | ${fmt(total(b), 2)} | ${fmt(total(c) - total(b), 2)} |`
  ]
}

/** The client's row explanation from the two profiles (tracing off). */
export const clientWhy = (client: Shares, bare: Shares): string => {
  const diff = (key: string) => (client.categories.get(key) ?? 0) - (bare.categories.get(key) ?? 0)
  return `The CPU profile (tracing off) puts the difference at ${
    fmt(total(client.categories) - total(bare.categories), 1)
  } µs per request: ${fmt(diff("effect (runtime, fibers, data types)"), 1)} µs in Effect's runtime, ${
    fmt(diff("garbage collection"), 1)
  } µs in garbage collection, ${fmt(diff("this library"), 1)} µs in this library's code, ${
    fmt(diff("@effect/platform"), 1)
  } µs in @effect/platform. The functions that cost the client more than the bare request: ${
    topDifferences(client.functions, bare.functions, 8)
  }.`
}
