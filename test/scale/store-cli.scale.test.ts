// The bundled clinvk on the PostgreSQL store: two homes (two machines) share sessions through the
// database, and a database that cannot be reached stops the command or the server with exit 3.
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { FAKE_CLI_DIR, fixturePath } from "../helpers.js";
import { dropRunSchemas, newSchemaName, TEST_PG_URL } from "./pg.js";

afterAll(dropRunSchemas);

const BACKEND_ID = "9da0288c-1368-41d4-86dd-e5ab6de59e60";

/** One "machine": its own CLINVK_HOME, the fake claude replaying a real recording, the shared store. */
function machine(dir: string, name: string, schema: string) {
  const record = join(dir, `${name}-argv.jsonl`);
  mkdirSync(join(dir, name), { recursive: true });
  const env = {
    ...process.env,
    PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
    CLINVK_HOME: join(dir, name),
    CLINVK_STORE_URL: TEST_PG_URL,
    CLINVK_STORE_SCHEMA: schema,
    FAKE_CLI_MODE: "replay",
    FAKE_CLI_STDOUT: fixturePath("claude", "stream-json", "stdout"),
    FAKE_CLI_STDERR: fixturePath("claude", "stream-json", "stderr"),
    FAKE_CLI_RECORD: record,
  };
  const calls = () =>
    readFileSync(record, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line).args as string[]);
  return { env, calls, run: (...args: string[]) => runCli(args, { env, cwd: dir }) };
}

describe("clinvk on the PostgreSQL store", () => {
  it("a session made on one machine is listed and resumed on another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "clinvk-pg-cli-"));
    const schema = newSchemaName();
    const a = machine(dir, "a", schema);
    const b = machine(dir, "b", schema);
    const first = await a.run("-b", "claude", "hello");
    expect(first.code, first.stderr).toBe(0);
    const id = JSON.parse(first.stdout).session_id as string;
    const listed = JSON.parse((await b.run("sessions", "list", "--json")).stdout);
    expect(listed.map((s: { id: string }) => s.id)).toEqual([id]);
    const second = await b.run("resume", id.slice(0, 8), "and then?");
    expect(second.code, second.stderr).toBe(0);
    expect(b.calls()[0]).toContain(`--resume=${BACKEND_ID}`);
    const shown = JSON.parse((await a.run("sessions", "show", id, "--json")).stdout);
    expect(shown).toMatchObject({ id, turn_count: 2 });
  });

  it("an unreachable database is exit 3 with a clear message, for a command and for serve", async () => {
    const env = {
      ...process.env,
      CLINVK_HOME: mkdtempSync(join(tmpdir(), "clinvk-pg-down-")),
      CLINVK_STORE_URL: "postgres://clinvk:hunter2@127.0.0.1:1/test",
    };
    for (const args of [
      ["sessions", "list"],
      ["serve", "--port", "0"],
    ]) {
      const result = await runCli(args, { env });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("cannot reach the session database at 127.0.0.1:1/test");
      expect(result.stderr).not.toContain("hunter2");
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  });
});
