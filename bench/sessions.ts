// Session store figures: list latency over 10,000 sessions and lock throughput. Prints, never fails.
//   npm run bench:sessions [-- --sessions 10000 --updates 400]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FileSessionStore } from "../src/sessions/file-store.js";
import { createSession } from "../src/sessions/session.js";

const { values } = parseArgs({
  options: { sessions: { type: "string", default: "10000" }, updates: { type: "string", default: "400" } },
});
const count = Number(values.sessions);
const updates = Number(values.updates);
const home = mkdtempSync(join(tmpdir(), "clinvk-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const ms = (start: number) => performance.now() - start;

try {
  const store = new FileSessionStore(home);
  // Seed the files directly (the store's own create is measured below): realistic sizes.
  const backends = ["claude", "codex", "gemini"] as const;
  for (let i = 0; i < count; i++) {
    const session = createSession({
      backend: backends[i % 3] as (typeof backends)[number],
      working_dir: `/home/user/project-${i % 50}`,
      initial_prompt: `please look at issue ${i} and fix the failing test in src/module-${i % 97}.ts`,
      tags: i % 10 === 0 ? ["ci"] : [],
    });
    session.last_used = new Date(Date.now() - i * 1000).toISOString();
    writeFileSync(join(store.directory, `${session.id}.json`), JSON.stringify(session, null, 2));
  }
  let start = performance.now();
  await store.repair();
  console.log(`index rebuild of ${count} sessions: ${ms(start).toFixed(1)} ms`);

  const cold: number[] = [];
  for (let i = 0; i < 5; i++) {
    const fresh = new FileSessionStore(home);
    start = performance.now();
    await fresh.list({ limit: 20 });
    cold.push(ms(start));
  }
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    start = performance.now();
    await store.list({ backend: "codex", tag: "ci", limit: 20 });
    warm.push(ms(start));
  }
  console.log(`list (new process, reads the index): median ${median(cold).toFixed(1)} ms  (target < 50 ms)`);
  console.log(`list (index cached, filtered):       median ${median(warm).toFixed(2)} ms`);

  const some = (await store.list({ limit: 1 })).sessions[0];
  start = performance.now();
  for (let i = 0; i < 50; i++) await store.getByPrefix(some?.id.slice(0, 8) ?? "0");
  console.log(`get by 8-char prefix: ${(ms(start) / 50).toFixed(2)} ms each`);

  const target = await store.create({ backend: "claude", working_dir: "/w" });
  start = performance.now();
  for (let i = 0; i < updates; i++) {
    await store.update(target.id, (s) => {
      s.turn_count += 1;
    });
  }
  const elapsed = ms(start);
  console.log(
    `locked updates (one process, ${count} sessions in the index): ${((updates / elapsed) * 1000).toFixed(0)} per second`,
  );
} finally {
  rmSync(home, { recursive: true, force: true });
}
