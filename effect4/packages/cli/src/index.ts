/**
 * The `hosecloud` command line, as modules: the commands, their terminal, and the demo.
 *
 * @since 0.1.0
 */

/**
 * The `hosecloud` command line.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"

/**
 * What the command line reads and writes.
 *
 * @since 0.1.0
 */
export * as CliIO from "./CliIO.js"

/**
 * The demo on the simulator.
 *
 * @since 0.1.0
 */
export * as Demo from "./Demo.js"
