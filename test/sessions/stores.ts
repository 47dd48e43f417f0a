// The stores that the contract suite runs against, by kind, in this process or a worker.
import { FileSessionStore } from "../../src/sessions/file-store.js";
import type { SessionStore } from "../../src/sessions/store.js";

export function openStoreForContract(kind: string, home: string): SessionStore & { repair?(): Promise<number> } {
  if (kind === "file") return new FileSessionStore(home);
  throw new Error(`unknown store kind ${kind}`);
}
