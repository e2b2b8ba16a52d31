/**
 * The one rule for where the library sends a secret (`appSecurity`, an access or a refresh token): only
 * to an origin the user configured (or Hosecloud's own), over `https:` (plain `http:` only on a loopback
 * host), and never by following a redirect. Every request that carries a secret goes through here.
 *
 * @internal
 */
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Tracer from "effect/Tracer"
import * as Option from "effect/Option"

const loopbackHosts = new Set(["127.0.0.1", "localhost", "[::1]"])

/** @internal */
export const isLoopback = (hostname: string): boolean => loopbackHosts.has(hostname)

/** `https:`, or `http:` on a loopback host. @internal */
export const isSafeScheme = (url: URL): boolean =>
  url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname))

/** The URL, or `None` when it does not parse. @internal */
export const parse = (url: string, base?: string): Option.Option<URL> => {
  try {
    return Option.some(new URL(url, base))
  } catch {
    return Option.none()
  }
}

/** Whether a secret may be sent to `url`: one of `origins`, over a safe scheme. @internal */
export const allows = (origins: ReadonlySet<string>, url: URL): boolean => isSafeScheme(url) && origins.has(url.origin)

/** The caller's `RequestInit` with redirects answered, not followed; kept for the last one seen. */
let lastInit: RequestInit | undefined
let lastManual: RequestInit = { redirect: "manual" }
const noInit: RequestInit = { redirect: "manual" }
const manual = (init: RequestInit | undefined): RequestInit => {
  if (init === undefined) return noInit
  if (init !== lastInit) {
    lastInit = init
    lastManual = { ...init, redirect: "manual" }
  }
  return lastManual
}

/**
 * The context for a request that carries a secret: a `fetch`-based client's redirect mode `manual` (the
 * caller's own `RequestInit` kept, with only `redirect` set), and `parent` the parent span when given.
 * `undefined` when `context` is that already, and no change is needed.
 *
 * @internal
 */
export const noFollowContext = (
  context: Context.Context<never>,
  parent: Tracer.AnySpan | undefined
): Context.Context<never> | undefined => {
  const init = Context.getOrElse(context, FetchHttpClient.RequestInit, () => undefined)
  if (init?.redirect === "manual" && parent === undefined) return undefined
  const withInit = Context.add(context, FetchHttpClient.RequestInit, manual(init))
  return parent === undefined ? withInit : Context.add(withInit, Tracer.ParentSpan, parent)
}

/**
 * Runs a request with redirects left to the caller: a `fetch`-based client answers the 3xx itself instead
 * of following it (other platform clients do not follow redirects at all). `fetch` reads its redirect mode
 * from the fiber's context when it sends, so this is one context change per request (each change copies
 * the fiber's references), the parent span set in the same change.
 *
 * @internal
 */
export const withoutRedirects = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  parent?: Tracer.AnySpan | undefined
): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    const context = noFollowContext(fiber.context, parent)
    return context === undefined ? effect : Effect.provideContext(effect, context)
  })

/** @internal */
export const isRedirect = (status: number): boolean => status >= 300 && status < 400
