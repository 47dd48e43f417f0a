// What clinvoker costs on top of the CLIs, measured side by side with the physical floor in the same
// run (absolute times on a shared machine drift; ratios hold). Prints figures, never fails on them.
//   npm run bench [-- --only start,run,stream,server,sessions,workflows,live] [--quick] [--out FILE]
// Writes bench/results/latest.json. See docs/performance.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VERSION } from "../src/version.js";
import { prepareBundle } from "./lib/bundle.js";
import type { BenchContext, Section } from "./lib/context.js";
import { footnotes, machine, table, writeResults } from "./lib/report.js";
import { liveSection } from "./sections/live.js";
import { runSection } from "./sections/run-overhead.js";
import { serverSection } from "./sections/server.js";
import { startSection } from "./sections/start.js";
import { streamSection } from "./sections/stream.js";
import { workflowsSection } from "./sections/workflows.js";
import { sessionsSection } from "./sessions.js";

const SECTIONS: Record<string, { title: string; run: Section }> = {
  start: { title: "1. CLI start", run: startSection },
  run: { title: "2. Run overhead", run: runSection },
  stream: { title: "3. Streaming latency", run: streamSection },
  server: { title: "4. Server throughput and memory", run: serverSection },
  sessions: { title: "5. Session store", run: sessionsSection },
  workflows: { title: "6. Workflows", run: workflowsSection },
  live: { title: "7. Live processes", run: liveSection },
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    only: { type: "string", multiple: true },
    quick: { type: "boolean", default: false },
    out: { type: "string", default: join(root, "bench", "results", "latest.json") },
  },
});
const only = (values.only ?? [])
  .flatMap((v) => v.split(","))
  .map((v) => v.trim())
  .filter(Boolean);
for (const name of only) {
  if (!SECTIONS[name]) {
    process.stderr.write(`unknown section "${name}"; sections: ${Object.keys(SECTIONS).join(", ")}\n`);
    process.exit(2);
  }
}
const chosen = only.length > 0 ? Object.keys(SECTIONS).filter((name) => only.includes(name)) : Object.keys(SECTIONS);

const started = performance.now();
const scratch = mkdtempSync(join(tmpdir(), "clinvk-bench-"));
const bundle = prepareBundle(root, scratch);
const log = (text: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0)}s] ${text}\n`);
const context: BenchContext = { root, cli: bundle.cli, scratch, quick: values.quick, figures: [], notes: [], log };
const failures: string[] = [];
const stop = () => {
  rmSync(scratch, { recursive: true, force: true });
  process.exit(130);
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);

const m = machine();
log(`clinvoker ${VERSION}, ${bundle.origin}; node ${m.node} on ${m.cpus} × ${m.cpu}`);
try {
  for (const name of chosen) {
    const section = SECTIONS[name]!;
    log(`${section.title}`);
    const sectionStarted = performance.now();
    try {
      await section.run(context);
    } catch (error) {
      // One broken section must not cost the others' figures: say so, and go on.
      const message = `${name}: FAILED: ${(error as Error).stack ?? error}`;
      failures.push(message);
      context.notes.push({ section: name, text: `FAILED: ${(error as Error).message.split("\n")[0]}` });
      log(message);
    }
    log(`${section.title} took ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const seconds = (performance.now() - started) / 1000;
const header = `clinvoker ${VERSION} · node ${m.node} · ${m.cpus} × ${m.cpu} · ${m.os} · ${seconds.toFixed(0)} s`;
process.stdout.write(`\n${header}\n\n${table(context.figures)}\n`);
const notes = footnotes(context.figures, context.notes);
if (notes) process.stdout.write(`\n${notes}\n`);
const missed = context.figures.filter((f) => f.target && !f.target.met).length;
const judged = context.figures.filter((f) => f.target).length;
process.stdout.write(`\n${judged - missed} of ${judged} targets met.\n`);
writeResults(values.out, root, { sections: chosen, seconds, version: VERSION }, context.figures, context.notes);
process.stderr.write(`results: ${values.out}\n`);
// Figures are reported, never judged by the exit code; only a broken benchmark fails.
process.exitCode = failures.length > 0 ? 1 : 0;
