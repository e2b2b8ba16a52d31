/**
 * The one rule for where the library sends a secret (`appSecurity`, an access or a refresh token): only
 * to an origin the user configured (or Hosecloud's own), over `https:` (plain `http:` only on a loopback
 * host), and never by following a redirect. Every request that carries a secret goes through here.
 *
 * @internal
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
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

/**
 * Runs a request with redirects left to the caller: a `fetch`-based client answers the 3xx itself instead
 * of following it (other platform clients do not follow redirects at all). The caller's own `RequestInit`
 * is kept, with only `redirect` set.
 *
 * @internal
 */
export const withoutRedirects = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  parent?: Tracer.AnySpan | undefined
): Effect.Effect<A, E, R> =>
  // one change of the context for both (the parent span too, when there is one): each change copies the fiber's
  // references, a cost paid on every request
  Effect.mapInputContext(effect, (context: Context.Context<R>): Context.Context<R> => {
    const init = Option.getOrElse(Context.getOption(context, FetchHttpClient.RequestInit), () => ({}))
    const withInit = Context.add(context, FetchHttpClient.RequestInit, { ...init, redirect: "manual" })
    return parent === undefined ? withInit : Context.add(withInit, Tracer.ParentSpan, parent)
  })

/** @internal */
export const isRedirect = (status: number): boolean => status >= 300 && status < 400
