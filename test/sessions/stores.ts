// The stores that the contract suite runs against, by kind, in this process or a worker. For "pg",
// `home` is the name of a schema of its own in the test database (CLINVK_TEST_PG_URL).
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { PgSessionStore } from "../../src/sessions/pg-store.js";
import type { SessionStore } from "../../src/sessions/store.js";

export const TEST_PG_URL = process.env.CLINVK_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const opened: SessionStore[] = [];

export function openStoreForContract(kind: string, home: string): SessionStore & { repair?(): Promise<number> } {
  if (kind === "file") return new FileSessionStore(home);
  if (kind === "pg") {
    const store = new PgSessionStore({ url: TEST_PG_URL, schema: home, maxConnections: 4 });
    opened.push(store);
    return store;
  }
  throw new Error(`unknown store kind ${kind}`);
}

/** Closes every store this process opened (a shared store's connections would keep it alive). */
export async function closeContractStores(): Promise<void> {
  await Promise.all(opened.splice(0).map((store) => store.close?.()));
}
