/** Drives a workflow on the terminal: progress while it runs, Ctrl+C to cancel it cleanly. */
import type { WorkflowEvent } from "../workflows/events.js";
import type { Progress } from "./progress.js";

export interface Cancellation {
  signal: AbortSignal;
  cancelled(): boolean;
  release(): void;
}

/** SIGINT/SIGTERM abort the workflow; a second Ctrl+C quits at once (process groups still die). */
export function cancelOnSignals(): Cancellation {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count += 1;
    if (count > 1) process.exit(130);
    process.stderr.write("\nclinvk: cancelling (press Ctrl+C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    cancelled: () => controller.signal.aborted,
    release() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

export async function consume<S>(workflow: AsyncGenerator<WorkflowEvent, S>, progress: Progress): Promise<S> {
  try {
    while (true) {
      const step = await workflow.next();
      if (step.done) return step.value;
      progress.event(step.value);
    }
  } finally {
    progress.stop();
  }
}
