// The PostgreSQL session store against the machine's PostgreSQL: the store contract (the file store's
// suite, run here against a fresh schema per test) and what only a database store does.
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ClinvkError } from "../../src/core/errors.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../src/sessions/pg-schema.js";
import { PgSessionStore } from "../../src/sessions/pg-store.js";
import { sha256 } from "../../src/sessions/transcript.js";
import { sessionStoreContract } from "../sessions/contract.js";
import { closeContractStores } from "../sessions/stores.js";
import { dropRunSchemas, newSchemaName, TEST_PG_URL } from "./pg.js";

const stores: PgSessionStore[] = [];
const openStore = (schema = newSchemaName(), url = TEST_PG_URL) => {
  const store = new PgSessionStore({ url, schema });
  stores.push(store);
  return store;
};

afterAll(async () => {
  await closeContractStores();
  await Promise.all(stores.map((store) => store.close()));
  await dropRunSchemas();
});

sessionStoreContract("pg", newSchemaName);

describe("the PostgreSQL store owns its schema", () => {
  it("instances starting together migrate once, and the steps are recorded", async () => {
    const schema = newSchemaName();
    const instances = Array.from({ length: 4 }, () => openStore(schema));
    await Promise.all(instances.map((store) => store.open()));
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version, name FROM ${schema}.clinvk_migrations ORDER BY version`);
      expect(rows).toEqual(MIGRATIONS.map(({ version, name }) => ({ version, name })));
    } finally {
      await client.end();
    }
    const created = await (instances[0] as PgSessionStore).create({ backend: "claude", working_dir: "/w" });
    expect(await (instances[3] as PgSessionStore).get(created.id)).toEqual(created);
  });

  it("a schema migrated by a newer clinvk is refused, not written", async () => {
    const schema = newSchemaName();
    await openStore(schema).open();
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query(`INSERT INTO ${schema}.clinvk_migrations (version, name) VALUES ($1, 'future')`, [
      SCHEMA_VERSION + 1,
    ]);
    await client.end();
    const error = await openStore(schema)
      .create({ backend: "claude", working_dir: "/w" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClinvkError);
    expect(error).toMatchObject({ code: "invalid_config" });
    expect((error as Error).message).toContain(`version ${SCHEMA_VERSION + 1}, newer than this clinvk knows`);
  });

  it("an unreachable database is an invalid_config error that names it without its password", async () => {
    const store = openStore(newSchemaName(), "postgres://clinvk:s3cret-pw@127.0.0.1:1/test");
    const error = await store.open().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "invalid_config" });
    expect((error as Error).message).toContain("cannot reach the session database at 127.0.0.1:1/test");
    expect((error as Error).message).not.toContain("s3cret-pw");
    const missing = openStore(newSchemaName(), TEST_PG_URL.replace(/\/[^/]*$/, "/clinvk_no_such_database"));
    await expect(missing.list()).rejects.toMatchObject({ code: "invalid_config" });
  });

  it("refuses schema names that are not plain identifiers, and URLs that are not postgres://", () => {
    for (const bad of ['x"; DROP TABLE y; --', "Upper", "a.b", "", "1abc"]) {
      expect(() => new PgSessionStore({ url: TEST_PG_URL, schema: bad })).toThrow(/invalid store.schema/);
    }
    expect(() => new PgSessionStore({ url: "mysql://h/db" })).toThrow(/postgres:\/\/ URL/);
  });

  it("filters and tags are parameters, never SQL", async () => {
    const store = openStore();
    const session = await store.create({ backend: "claude", working_dir: "/w'; DROP TABLE x; --", tags: ["a'b"] });
    expect((await store.list({ tag: "a'b" })).sessions.map((s) => s.id)).toEqual([session.id]);
    expect(await store.count({ workdir: "/w'; DROP TABLE x; --" })).toBe(1);
    expect(await store.count({ tag: "%" })).toBe(0);
  });

  it("a clean skips a session whose row a turn holds, and takes it next time", async () => {
    const store = openStore();
    const old = await store.create({ backend: "claude", working_dir: "/w" });
    await store.update(old.id, (s) => {
      s.last_used = "2020-01-01T00:00:00.000Z";
    });
    // A turn's transaction holds the row (as update does while its change runs).
    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    await client.query("BEGIN");
    await client.query(`SELECT 1 FROM ${store.schema}.sessions WHERE id = $1 FOR UPDATE`, [old.id]);
    expect((await store.clean(new Date("2021-01-01"))).sessions).toEqual([]);
    await client.query("COMMIT");
    await client.end();
    expect((await store.clean(new Date("2021-01-01"))).sessions.map((s) => s.id)).toEqual([old.id]);
  });

  it("keeps a session's CLI transcript: replaced whole, checked on the way out, deleted with the session", async () => {
    const store = openStore();
    const session = await store.create({ backend: "claude", working_dir: "/w" });
    const file = (path: string, text: string) => ({
      path,
      sha256: sha256(Buffer.from(text)),
      content: Buffer.from(text),
    });
    await store.saveTranscript(session.id, "claude", [file("p/a.jsonl", "one\n"), file("p/b.jsonl", "two\n")]);
    await store.saveTranscript(session.id, "claude", [file("p/a.jsonl", "one\nthree\n")]);
    const loaded = await store.loadTranscript(session.id);
    expect(loaded.map((f) => [f.path, f.content.toString()])).toEqual([["p/a.jsonl", "one\nthree\n"]]);
    await expect(store.saveTranscript(session.id, "claude", [file("../x", "x")])).rejects.toThrow(/refused/);
    await expect(
      store.saveTranscript(session.id, "claude", [{ ...file("p/a.jsonl", "x"), content: Buffer.from("y") }]),
    ).rejects.toThrow(/checksum/);

    const client = new pg.Client({ connectionString: TEST_PG_URL });
    await client.connect();
    try {
      await client.query(`UPDATE ${store.schema}.session_transcripts SET content = 'tampered' WHERE session_id = $1`, [
        session.id,
      ]);
      await expect(store.loadTranscript(session.id)).rejects.toThrow(/does not match its checksum/);
      await store.delete(session.id);
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${store.schema}.session_transcripts`);
      expect(rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  });
});
