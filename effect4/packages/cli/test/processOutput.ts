import type { ChildProcessWithoutNullStreams } from "node:child_process"

/** What a child process wrote, and how it ended. */
export interface Finished {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Collects the child's output until it closes; its stdin is left as it is. */
export const closed = (child: ChildProcessWithoutNullStreams): Promise<Finished> =>
  new Promise((resolve, reject) => {
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })
