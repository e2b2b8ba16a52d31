// The smallest program on effect/cli and @effect/platform-node 4, bundled by the benchmark as the hosecloud
// executable is: what any command line on Effect 4 costs to start, for comparison.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"

const serve = Command.make("serve", { port: Flag.Int("port") }, () => Effect.void)
const command = Command.make("floor").pipe(Command.withSubcommands([serve]))

Command.run(command, { version: "0.0.0" }).pipe(Effect.provide(NodeServices.layer), NodeRuntime.runMain)
