// The same review on every installed backend at once, with live progress.
import { Clinvoker } from "clinvoker";

const clinvk = new Clinvoker();
const installed = (await clinvk.backends()).filter((b) => b.available).map((b) => b.name);
const summary = await clinvk.parallel(
  installed.map((backend) => ({ backend, name: backend, prompt: "Review README.md for unclear sentences. Be brief." })),
  { onEvent: (e) => e.type === "task_finished" && console.error(`${e.label}: ${e.result.status}`) },
);
for (const result of summary.results) console.log(`\n## ${result.backend}\n${result.output ?? result.error}`);
console.log(`\n${summary.completed}/${summary.total_tasks} done in ${summary.total_duration_seconds.toFixed(1)} s`);
