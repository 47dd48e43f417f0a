// Helpers of the scale lane's PostgreSQL tests: a schema of its own per test run, dropped afterwards.
import pg from "pg";
import { TEST_PG_URL } from "../sessions/stores.js";

export { TEST_PG_URL };

/** A prefix unique to this run; every schema a test makes starts with it. */
export const RUN_PREFIX = `clinvk_t${process.pid}_${Date.now().toString(36)}`;

let made = 0;
export const newSchemaName = () => `${RUN_PREFIX}_${made++}`;

/** Drops every schema this run made. */
export async function dropRunSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>(
      "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)",
      [RUN_PREFIX],
    );
    for (const { nspname } of rows) await client.query(`DROP SCHEMA "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
