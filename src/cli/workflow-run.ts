/** Drives a workflow on the terminal: its progress while it runs. */
import { drainWorkflow, type WorkflowEvent } from "../workflows/events.js";
import type { Progress } from "./progress.js";

export async function consume<S>(workflow: AsyncGenerator<WorkflowEvent, S>, progress: Progress): Promise<S> {
  try {
    return await drainWorkflow(workflow, (event) => progress.event(event));
  } finally {
    progress.stop();
  }
}
