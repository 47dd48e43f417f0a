// CLI transcripts carried with the session, with the real CLIs against the provider stub: a session
// started on machine A (its own CLINVK_HOME, HOME and CODEX_HOME) resumes on machine B, which shares
// only the PostgreSQL store and the working directory, and the CLI on B sends the earlier turn.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transcriptRoot } from "../../src/engine/transcript-files.js";
import { CLI_NAMES, type CliSandbox, prepareCliSandbox } from "../e2e/cli-env.js";
import { describeRun, runClinvk, runDir, snapshotClinvk } from "../e2e/clinvk-bin.js";
import { type ProviderStub, startProviderStub } from "../e2e/stub/index.js";
import { dropRunSchemas, newSchemaName, TEST_PG_URL } from "./pg.js";

let stub: ProviderStub;
let bin: { cli: string; cleanup(): void };
const sandboxes: CliSandbox[] = [];

beforeAll(async () => {
  bin = snapshotClinvk();
  stub = await startProviderStub();
});
afterAll(async () => {
  for (const sb of sandboxes) sb.cleanup();
  await stub?.close();
  bin?.cleanup();
  await dropRunSchemas();
});

/** A machine: its own sandbox (HOME, CODEX_HOME, TMPDIR), its own CLINVK_HOME, the shared store. */
function machine(schema: string): CliSandbox {
  const sb = prepareCliSandbox("all", stub.url);
  sandboxes.push(sb);
  sb.env.CLINVK_HOME = join(sb.root, "clinvk-home");
  sb.env.CLINVK_STORE_URL = TEST_PG_URL;
  sb.env.CLINVK_STORE_SCHEMA = schema;
  return sb;
}

describe("a session moves between machines with its CLI transcript", () => {
  for (const backend of CLI_NAMES) {
    it(`${backend}: started with one HOME, resumed with another, the earlier turn reaches the provider`, async () => {
      const schema = newSchemaName();
      const a = machine(schema);
      const b = machine(schema);
      const workdir = runDir(a); // the working directory both machines see
      stub.reset();
      stub.script({ text: "first answer" });
      const first = await runClinvk(bin.cli, a, workdir, ["-b", backend, "--new", "remember the word pelican"]);
      expect(first.code, describeRun(first)).toBe(0);
      const { session_id: id, backend_session_id: backendId } = JSON.parse(first.stdout);
      expect(backendId).toBeTruthy();
      const shown = JSON.parse((await runClinvk(bin.cli, b, workdir, ["sessions", "show", id, "--json"])).stdout);
      expect(shown.metadata.transcript).toBe("shared");
      expect(existsSync(transcriptRoot(backend, b.env) as string)).toBe(false);

      stub.script({ text: "second answer" });
      const second = await runClinvk(bin.cli, b, workdir, ["resume", id, "what was the word?"]);
      expect(second.code, describeRun(second)).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ session_id: id, backend_session_id: backendId });
      const sent = JSON.stringify(stub.lastRequest()?.body ?? "");
      expect(sent).toContain("what was the word?");
      expect(sent).toContain("remember the word pelican");
      expect(sent).toContain("first answer");

      // And back: A has an older copy, and gets B's turn before its own.
      stub.script({ text: "third answer" });
      const third = await runClinvk(bin.cli, a, workdir, ["resume", id, "and once more"]);
      expect(third.code, describeRun(third)).toBe(0);
      const again = JSON.stringify(stub.lastRequest()?.body ?? "");
      expect(again).toContain("what was the word?");
      expect(again).toContain("second answer");
    });
  }
});
