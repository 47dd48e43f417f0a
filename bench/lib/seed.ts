/** Session stores full of realistic sessions, for the store and server benchmarks. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { createSession, type Session } from "../../src/sessions/session.js";

const BACKENDS = ["claude", "codex", "gemini"] as const;

/** Session number `i`: a prompt, one of 50 directories, a tag on every tenth, used `i` seconds ago. */
export function sampleSession(i: number): Session {
  const session = createSession({
    backend: BACKENDS[i % 3] as (typeof BACKENDS)[number],
    working_dir: `/home/user/project-${i % 50}`,
    initial_prompt: `please look at issue ${i} and fix the failing test in src/module-${i % 97}.ts`,
    tags: i % 10 === 0 ? ["ci"] : [],
  });
  session.last_used = new Date(Date.now() - i * 1000).toISOString();
  return session;
}

/**
 * Writes sessions `from`..`to - 1` straight into the store's directory (not through the store, which
 * fsyncs twice per session), then rebuilds the index with the store's own repair. Returns the
 * rebuild's duration in ms.
 */
export async function seedSessions(home: string, from: number, to: number): Promise<number> {
  const store = new FileSessionStore(home);
  for (let i = from; i < to; i++) {
    const session = sampleSession(i);
    writeFileSync(join(store.directory, `${session.id}.json`), JSON.stringify(session, null, 2));
  }
  const started = performance.now();
  await store.repair();
  return performance.now() - started;
}
