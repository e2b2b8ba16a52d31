// The smallest program on @effect/cli and @effect/platform-node, bundled by the benchmark as the
// hosecloud executable is: what any command line on Effect costs to start, for comparison.
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Effect from "effect/Effect"

const serve = Command.make("serve", { port: Options.integer("port") }, () => Effect.void)
const command = Command.make("floor").pipe(Command.withSubcommands([serve]))

Command.run(command, { name: "floor", version: "0.0.0" })(process.argv).pipe(
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain
)
