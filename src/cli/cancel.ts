/** Ctrl+C on the terminal: the first SIGINT/SIGTERM aborts cleanly, a second quits at once. */

export interface Cancellation {
  signal: AbortSignal;
  cancelled(): boolean;
  release(): void;
}

/**
 * `doing` names what the first signal does ("stopping the run"); `say` prints the notice (a workflow's
 * live progress, so that its lines stay whole). The exit hook still kills the CLIs' groups.
 */
export function cancelOnSignals(
  doing = "cancelling",
  say: (text: string) => void = (text) => process.stderr.write(text),
): Cancellation {
  const controller = new AbortController();
  let count = 0;
  const onSignal = () => {
    count += 1;
    if (count > 1) process.exit(130);
    say(`\nclinvk: ${doing} (press Ctrl+C again to quit at once)\n`);
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

export interface Interruption extends Cancellation {
  /** Aborted by the first Ctrl+C: the turn stops and the session goes on. */
  interrupt: AbortSignal;
}

/**
 * For one run on the terminal: the first Ctrl+C interrupts the turn (a live run keeps its
 * conversation; the next prompt continues it), the second cancels (the CLI is killed), a third
 * quits at once. SIGTERM cancels at once.
 */
export function interruptOnSignals(say: (text: string) => void = (text) => process.stderr.write(text)): Interruption {
  const interrupter = new AbortController();
  const canceller = new AbortController();
  let count = 0;
  const onInterrupt = () => {
    count += 1;
    if (count === 1) {
      say("\nclinvk: interrupting the turn; the session goes on (Ctrl+C again to cancel the run)\n");
      interrupter.abort();
    } else if (count === 2) {
      say("\nclinvk: cancelling the run (Ctrl+C again to quit at once)\n");
      canceller.abort();
    } else process.exit(130);
  };
  const onTerminate = () => {
    if (canceller.signal.aborted) process.exit(130);
    canceller.abort();
  };
  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onTerminate);
  return {
    signal: canceller.signal,
    interrupt: interrupter.signal,
    cancelled: () => canceller.signal.aborted || interrupter.signal.aborted,
    release() {
      process.off("SIGINT", onInterrupt);
      process.off("SIGTERM", onTerminate);
    },
  };
}
