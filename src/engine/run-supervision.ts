/**
 * What a long-running face (the server) sets up so that no CLI outlives it: the CLIs left by an
 * earlier process that died without its exit hook are killed and their sessions settled, every run
 * from now on is recorded on disk, and a supervisor process kills them should this process die.
 */
import { useRunRegistry } from "../process/process-group.js";
import { RunRegistry } from "../process/run-registry.js";
import { startSupervisor } from "../process/supervisor.js";
import type { SessionStore } from "../sessions/store.js";
import { settleInterrupted } from "./session-hooks.js";

export async function superviseRuns(
  store: SessionStore,
  directory: string,
): Promise<{ orphans: number; interrupted: number }> {
  const registry = new RunRegistry(directory);
  const orphans = registry.reapOrphans();
  const interrupted = await settleInterrupted(
    store,
    orphans.flatMap((run) => (run.tag ? [run.tag] : [])),
    "interrupted: the clinvk serve that ran it stopped",
  );
  useRunRegistry(registry);
  startSupervisor(registry);
  return { orphans: orphans.length, interrupted };
}
