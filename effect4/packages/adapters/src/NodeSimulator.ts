/**
 * The core's in-memory Hosecloud served over real HTTP on loopback with `@effect/platform-node`, for the
 * demo, the command line and tests of real transports. Its clock is the server's own.
 *
 * @since 0.1.0
 */
import { type AuthError, Validation } from "@effect-hosecloud/core"
import { HosecloudSimulator } from "@effect-hosecloud/core/testing"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as HttpServer from "effect/http/HttpServer"
import type * as HttpServerError from "effect/http/HttpServerError"
import * as Layer from "effect/Layer"
import { createServer } from "node:http"
import { check } from "./internal/check.js"

/**
 * Where the simulator listens.
 *
 * @since 0.1.0
 * @category models
 */
export interface Address {
  /** `http://127.0.0.1:{port}` */
  readonly url: string
  readonly port: number
}

/**
 * The tag of the simulator's address.
 *
 * @since 0.1.0
 * @category tags
 */
export class SimulatorAddress extends Context.Service<SimulatorAddress, Address>()(
  "@effect-hosecloud/adapters/SimulatorAddress"
) {}

/**
 * Options of the served simulator.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options extends HosecloudSimulator.Options {
  /**
   * The answer of the location lookup (`/api/openapi/v2/location`). Default: the served simulator's own
   * address, so that `HostDiscovery` can be tried on it.
   */
  readonly location?: string | undefined
  /** Default 0: a free port. */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. */
  readonly host?: string | undefined
}

/**
 * A simulator served on loopback for the lifetime of the layer.
 *
 * @example
 * ```ts
 * import * as NodeSimulator from "@effect-hosecloud/adapters/NodeSimulator"
 * import { Console, Effect, Layer } from "effect"
 *
 * // serves the simulator on a free loopback port until interrupted, and says where
 * export const serve = Layer.launch(
 *   Layer.effectDiscard(
 *     Effect.flatMap(NodeSimulator.SimulatorAddress, ({ url }) => Console.log(`simulator on ${url}`))
 *   ).pipe(Layer.provide(NodeSimulator.layer({ tokenLifetime: "10 minutes" })))
 * )
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  HosecloudSimulator.HosecloudSimulator | SimulatorAddress,
  HttpServerError.ServeError | AuthError.InvalidOptions
> =>
  Layer.unwrap(
    Effect.map(
      Effect.all([
        check(Validation.integer("port", options.port ?? 0, 0, 65535)),
        check(Validation.nonEmptyString("host", options.host ?? "127.0.0.1"))
      ]),
      ([port, host]) => serveOn(options, port, host)
    )
  )

const serveOn = (options: Options, port: number, host: string) => {
  // Effect 4 serves a request uninterruptibly unless told otherwise: a client that hangs up, or the
  // simulator closing, interrupts the answer (a scripted delay, say) instead of waiting it out
  const serve = Layer.unwrap(
    Effect.map(HosecloudSimulator.HosecloudSimulator, (simulator) => HttpServer.serve(Effect.interruptible(simulator.app)))
  )
  const address = Layer.effect(
    SimulatorAddress,
    Effect.map(HttpServer.HttpServer, ({ address }): Address =>
      address._tag === "UnixPathAddress"
        ? { url: `http://${host}`, port: 0 }
        : { url: HttpServer.formatAddress(address), port: address.port })
  )
  // the location lookup answers the simulator's own address, so that host discovery can be tried on it
  const ownLocation = options.location !== undefined ? Layer.empty : Layer.effectDiscard(
    Effect.gen(function*() {
      const sim = yield* HosecloudSimulator.HosecloudSimulator
      const { url } = yield* SimulatorAddress
      yield* sim.setLocation(`${url}/`)
    })
  )
  return Layer.mergeAll(serve, ownLocation.pipe(Layer.provideMerge(address))).pipe(
    Layer.provideMerge(HosecloudSimulator.layerSimulator(options)),
    Layer.provide(NodeHttpServer.layer(() => createServer(), { port, host }))
  )
}
