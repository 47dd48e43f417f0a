/**
 * What each CLI adds to every prompt: its own system prompt, its tools' definitions, its
 * environment notes; about 29k tokens for "hello" on claude, far fewer on others. No CLI says, so
 * the server measures it: a fresh turn's real input count (as the CLI reported it) less the
 * estimate of the conversation it was given. Kept per backend, CLI version and model, the smallest
 * seen (an agent that called its own tools reports the sum of several model calls, each with the
 * overhead), in memory only: a restart, or a new CLI version, measures anew.
 */
import type { BackendName } from "../../core/events.js";
import type { BackendRegistry } from "../../engine/registry.js";

/** Bounds the map: backends × versions × models a server sees. */
const MAX_ENTRIES = 256;

export class PromptOverheads {
  private readonly measured = new Map<string, number>();

  /** A fresh turn's real input count against the estimate of what it was sent. */
  record(key: string, reportedInput: number, estimated: number): void {
    const overhead = reportedInput - estimated;
    if (!Number.isFinite(overhead) || overhead <= 0) return;
    const known = this.measured.get(key);
    if (known !== undefined && known <= overhead) return;
    if (known === undefined && this.measured.size >= MAX_ENTRIES) {
      const oldest = this.measured.keys().next().value;
      if (oldest !== undefined) this.measured.delete(oldest);
    }
    this.measured.set(key, overhead);
  }

  get(key: string): number | undefined {
    return this.measured.get(key);
  }
}

/** The key of a backend's measurements: its CLI's version (when it can be read) and the model. */
export async function overheadKey(
  registry: Pick<BackendRegistry, "status">,
  backend: BackendName,
  model: string | undefined,
): Promise<string> {
  const version = await registry
    .status(backend)
    .then((status) => status.version ?? "?")
    .catch(() => "?");
  return `${backend}@${version}/${model ?? ""}`;
}
