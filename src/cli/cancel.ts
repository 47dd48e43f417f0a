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
