// One of the concurrent writers of the session-store benchmark (bench/sessions.ts):
//   node --import tsx bench/workers/session-updater.ts <home> <session id> <updates> <worker>
// Opens the store, prints "ready", waits for "go" on stdin, then makes <updates> locked updates of
// one session (turn_count + 1, metadata.w<worker> = how many so far) and prints {"ms": ...}.
import { createInterface } from "node:readline";
import { FileSessionStore } from "../../src/sessions/file-store.js";

const [home, id, count, worker] = process.argv.slice(2);
if (!home || !id || !count || worker === undefined) {
  process.stderr.write("usage: session-updater.ts <home> <session id> <updates> <worker>\n");
  process.exit(2);
}
const store = new FileSessionStore(home);
await store.get(id);
process.stdout.write("ready\n");
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === "go") break;
lines.close();
const started = performance.now();
for (let i = 1; i <= Number(count); i++) {
  await store.update(id, (session) => {
    session.turn_count += 1;
    session.metadata[`w${worker}`] = String(i);
  });
}
process.stdout.write(`${JSON.stringify({ ms: performance.now() - started })}\n`);
