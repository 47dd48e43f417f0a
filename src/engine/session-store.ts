/**
 * Which session store a config selects: PostgreSQL when `store.url` is set (shared by every instance
 * that names the same database), else the file store in `home`. A configured database is never
 * replaced by local files: when it cannot be reached, opening it fails.
 */
import type { Config } from "../config/schema.js";
import { FileSessionStore } from "../sessions/file-store.js";
import { PgSessionStore } from "../sessions/pg-store.js";
import type { SessionStore } from "../sessions/store.js";

export function sessionStoreFromConfig(config: Config, home: string): SessionStore {
  const url = config.store?.url ?? "";
  if (url) return new PgSessionStore({ url, schema: config.store.schema || "public" });
  return new FileSessionStore(home);
}

/** What `doctor` and `/health` say of the store, without its credentials. */
export function describeStore(store: SessionStore): { kind: "file" | "postgres"; where: string } {
  if (store instanceof PgSessionStore) return { kind: "postgres", where: `${store.where} (schema ${store.schema})` };
  return { kind: "file", where: store instanceof FileSessionStore ? store.directory : "" };
}
