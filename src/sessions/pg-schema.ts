/**
 * The PostgreSQL session store's schema and its migrations, owned by clinvoker: numbered steps,
 * each applied once in its own transaction and recorded in `clinvk_migrations`. Instances that start
 * together serialize on an advisory lock, so exactly one of them migrates. A database migrated by a
 * newer clinvoker is refused rather than written with an older idea of its tables.
 */
import type { Pool, PoolClient } from "pg";
import { ClinvkError } from "../core/errors.js";

/** A schema name that is safe to put in SQL unquoted: lowercase, digits and underscores. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(name: string): string {
  if (!SCHEMA_NAME.test(name)) {
    throw new ClinvkError(
      "invalid_config",
      `invalid store.schema ${JSON.stringify(name.slice(0, 80))}`,
      "a PostgreSQL schema name of lowercase letters, digits and underscores (at most 63), e.g. clinvk",
    );
  }
  return name;
}

/** Each step's SQL, with `{s}` for the schema. Append only: a released step is never edited. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "sessions",
    sql: `
      CREATE TABLE {s}.sessions (
        id text COLLATE "C" PRIMARY KEY,
        backend text NOT NULL,
        backend_session_id text,
        working_dir text NOT NULL,
        model text,
        status text NOT NULL,
        tags text[] NOT NULL DEFAULT '{}',
        -- ISO timestamps compared as bytes, exactly as the file store sorts them.
        last_used text COLLATE "C" NOT NULL,
        created_at text COLLATE "C" NOT NULL,
        -- The session as clinvoker wrote it (json keeps the key order) and its summary for listing.
        data json NOT NULL,
        summary json NOT NULL
      );
      CREATE INDEX sessions_last_used ON {s}.sessions (last_used DESC, id DESC);
      CREATE INDEX sessions_tags ON {s}.sessions USING gin (tags);
      CREATE INDEX sessions_working_dir ON {s}.sessions (working_dir);
    `,
  },
  {
    version: 2,
    name: "transcripts",
    sql: `
      CREATE TABLE {s}.session_transcripts (
        session_id text COLLATE "C" NOT NULL REFERENCES {s}.sessions (id) ON DELETE CASCADE,
        backend text NOT NULL,
        path text NOT NULL,
        sha256 text NOT NULL,
        size integer NOT NULL,
        content bytea NOT NULL,
        saved_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (session_id, path)
      );
    `,
  },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** A lock id of our own for pg_advisory_xact_lock: "clinvk" as a number. */
const MIGRATION_LOCK = 0x636c696e766b;

/** Brings the schema up to SCHEMA_VERSION; returns the steps applied. */
export async function migrate(pool: Pool, schema: string): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.clinvk_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const current = await appliedVersion(client, schema);
    if (current > SCHEMA_VERSION) {
      throw new ClinvkError(
        "invalid_config",
        `the session database's schema ${schema} is at version ${current}, newer than this clinvk knows (${SCHEMA_VERSION})`,
        "upgrade clinvk on this instance, or point store.url at another database",
      );
    }
    const applied: number[] = [];
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      await client.query(step.sql.replaceAll("{s}", schema));
      await client.query(`INSERT INTO ${schema}.clinvk_migrations (version, name) VALUES ($1, $2)`, [
        step.version,
        step.name,
      ]);
      applied.push(step.version);
    }
    await client.query("COMMIT");
    return applied;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function appliedVersion(client: PoolClient, schema: string): Promise<number> {
  const result = await client.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${schema}.clinvk_migrations`,
  );
  return result.rows[0]?.version ?? 0;
}
