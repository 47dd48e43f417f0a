/**
 * 1. CLI start: `clinvk --version` and `clinvk doctor` against `node -e 0`, the least any Node
 * program costs. doctor probes the three backends' `--version`; shell fakes answer them, so that
 * what it adds beyond Node's own start is clinvoker's work, not the CLIs'.
 */
import { join } from "node:path";
import { type BenchContext, reps, scratchDir } from "../lib/context.js";
import { pathWith, writeShellFakes } from "../lib/fakes.js";
import { timedOk } from "../lib/processes.js";
import { figure, targets } from "../lib/report.js";
import { shuffle } from "../lib/stats.js";

export async function startSection(context: BenchContext): Promise<void> {
  const dir = scratchDir(context, "start");
  const fakes = writeShellFakes(join(dir, "bin"));
  const env = { ...process.env, CLINVK_HOME: join(dir, "home"), PATH: pathWith(fakes), NO_COLOR: "1" };
  const options = { env, cwd: dir };
  const commands = {
    node: [] as string[],
    version: [context.cli, "--version"],
    doctor: [context.cli, "doctor"],
  };
  const samples: Record<keyof typeof commands, number[]> = { node: [], version: [], doctor: [] };
  const floorArgs = ["-e", "0"];
  const run = async (name: keyof typeof commands) => {
    const args = name === "node" ? floorArgs : commands[name];
    return (await timedOk(process.execPath, args, options)).ms;
  };

  const doctor = await timedOk(process.execPath, commands.doctor, options);
  if (!/3 of 3 backends available/.test(doctor.stdout)) {
    throw new Error(`clinvk doctor did not find the three fakes:\n${doctor.stdout}`);
  }
  for (const name of ["node", "version", "doctor"] as const) await run(name); // warm the file cache
  const rounds = reps(context, 20, 5);
  context.log(`start: ${rounds} rounds of node -e 0, clinvk --version, clinvk doctor`);
  for (let i = 0; i < rounds; i++) {
    for (const name of shuffle<keyof typeof commands>(["node", "version", "doctor"]))
      samples[name].push(await run(name));
  }
  const floor = { label: "node -e 0", samples: samples.node };
  context.figures.push(
    figure({
      section: "start",
      name: "clinvk --version",
      unit: "ms",
      samples: samples.version,
      floor,
      target: targets.ratioBelow(1.5),
    }),
    figure({
      section: "start",
      name: "clinvk doctor (3 backends)",
      unit: "ms",
      samples: samples.doctor,
      floor,
      target: targets.ratioBelow(1.3),
      note: "the three `--version` probes are answered from $CLINVK_HOME/cache/versions.json after the first doctor (the warm-up), as for a user's every later doctor",
    }),
  );
}
