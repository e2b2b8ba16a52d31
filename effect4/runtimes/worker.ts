// The program as a worker, for workerd: its settings are the worker's bindings, its answer the response.
// `/check` runs the check with layers of its own; `/shared` makes one business call through layers kept at
// module scope (what workerd does with those is what the suite shows).
import { callShared, check } from "./program.js"
import { type Environment, fromEnvironment } from "./settings.js"

export default {
  fetch: async (request: Request, env: Environment): Promise<Response> => {
    try {
      const settings = fromEnvironment((name) => env[name as keyof Environment])
      switch (new URL(request.url).pathname) {
        case "/check":
          return Response.json(await check("workerd", settings))
        case "/shared":
          return Response.json(await callShared(settings))
        default:
          return new Response("not found", { status: 404 })
      }
    } catch (error) {
      return new Response(String(error), { status: 500 })
    }
  }
}
