/**
 * 3. Streaming latency through `clinvk serve`: the fake CLI in ticks mode stamps each text delta with
 * the wall clock just before writing it; the client notes when the matching SSE chunk of
 * `POST /api/v1/prompt` (Accept: text/event-stream) arrives. The floor is the same fake CLI's lines
 * read straight from its stdout pipe by this process. Also the time to the first byte and to the
 * first text.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { type BenchContext, reps, scratchDir } from "../lib/context.js";
import { fakeCliDir, pathWith } from "../lib/fakes.js";
import { postSse, wallClock } from "../lib/http.js";
import { figure, targets } from "../lib/report.js";
import { startClinvkServe } from "../lib/servers.js";
import { percentile, shuffle } from "../lib/stats.js";

const TICKS = 60;
const TICK_MS = 5;
const STAMP = /@(\d+(?:\.\d+)?);/;

interface Sample {
  /** Per text chunk: arrival minus the CLI's stamp, ms. */
  latencies: number[];
  firstByteMs: number;
  firstTextMs: number;
}

/** One run through the server. */
async function throughServer(url: string): Promise<Sample> {
  const response = await postSse(`${url}/api/v1/prompt`, { backend: "claude", prompt: "ticks", ephemeral: true });
  if (response.status !== 200) throw new Error(`POST /api/v1/prompt answered ${response.status}: ${response.body}`);
  const latencies: number[] = [];
  let firstText = 0;
  let result: { status?: string } | undefined;
  for (const frame of response.frames) {
    if (frame.event === "text") {
      const stamp = STAMP.exec((JSON.parse(frame.data) as { text?: string }).text ?? "");
      if (!stamp) continue;
      latencies.push(frame.at - Number(stamp[1]));
      if (firstText === 0) firstText = frame.at;
    } else if (frame.event === "result") result = JSON.parse(frame.data) as { status?: string };
  }
  if (latencies.length !== TICKS || result?.status !== "success") {
    throw new Error(
      `expected ${TICKS} text chunks and a successful result, got ${latencies.length}: ${response.body.slice(-500)}`,
    );
  }
  return {
    latencies,
    firstByteMs: response.firstByteAt - response.sentAt,
    firstTextMs: firstText - response.sentAt,
  };
}

/** One run of the fake CLI read straight from the pipe. */
function throughPipe(command: string, env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let firstByte = 0;
    let firstText = 0;
    let pending = "";
    const spawnedAt = wallClock();
    const child = spawn(command, ["-p", "--output-format=stream-json", "--", "ticks"], {
      env,
      stdio: ["ignore", "pipe", "ignore"],
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const at = wallClock();
      if (firstByte === 0) firstByte = at;
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.includes("text_delta")) continue;
        const stamp = STAMP.exec(line);
        if (!stamp) continue;
        latencies.push(at - Number(stamp[1]));
        if (firstText === 0) firstText = at;
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 || latencies.length !== TICKS) {
        reject(new Error(`the fake CLI exited ${code} after ${latencies.length} ticks`));
        return;
      }
      resolve({ latencies, firstByteMs: firstByte - spawnedAt, firstTextMs: firstText - spawnedAt });
    });
  });
}

export async function streamSection(context: BenchContext): Promise<void> {
  const dir = scratchDir(context, "stream");
  const fakes = fakeCliDir(context.root);
  const env = {
    ...process.env,
    PATH: pathWith(fakes),
    FAKE_CLI_MODE: "ticks",
    FAKE_CLI_TICKS: String(TICKS),
    FAKE_CLI_TICK_MS: String(TICK_MS),
  };
  const server = await startClinvkServe(context.cli, {
    home: join(dir, "home"),
    env,
    config: 'server:\n  child_env: ["FAKE_CLI_*"]\n', // the fake CLI's switches pass the server's env allowlist
  });
  try {
    const ours: Sample[] = [];
    const floor: Sample[] = [];
    const jobs = [
      async () => ours.push(await throughServer(server.url)),
      async () => floor.push(await throughPipe(join(fakes, "claude"), env)),
    ];
    for (const job of jobs) await job(); // warm-up
    ours.length = 0;
    floor.length = 0;
    const rounds = reps(context, 8, 2);
    context.log(`stream: ${rounds} rounds of ${TICKS} text deltas ${TICK_MS} ms apart, through serve and from a pipe`);
    for (let i = 0; i < rounds; i++) for (const job of shuffle([...jobs])) await job();

    const per = (samples: Sample[], pick: (s: Sample) => number) => samples.map(pick);
    const all = (samples: Sample[]) => samples.flatMap((s) => s.latencies).length;
    context.figures.push(
      figure({
        section: "stream",
        name: "text line → SSE chunk, p50",
        unit: "ms",
        samples: per(ours, (s) => percentile(s.latencies, 50)),
        floor: { label: "line from the pipe", samples: per(floor, (s) => percentile(s.latencies, 50)) },
        target: targets.addedBelow(2, "ms"),
        note: `per round: p50 over ${TICKS} chunks; ${all(ours)} chunks in all`,
      }),
      figure({
        section: "stream",
        name: "text line → SSE chunk, p99",
        unit: "ms",
        samples: per(ours, (s) => percentile(s.latencies, 99)),
        floor: { label: "line from the pipe", samples: per(floor, (s) => percentile(s.latencies, 99)) },
      }),
      figure({
        section: "stream",
        name: "time to first byte",
        unit: "ms",
        samples: per(ours, (s) => s.firstByteMs),
        floor: { label: "spawn → first stdout byte", samples: per(floor, (s) => s.firstByteMs) },
        note: "the SSE stream opens with the start event, before the CLI has started",
      }),
      figure({
        section: "stream",
        name: "time to first text",
        unit: "ms",
        samples: per(ours, (s) => s.firstTextMs),
        floor: { label: "spawn → first text line", samples: per(floor, (s) => s.firstTextMs) },
      }),
    );
  } finally {
    await server.stop();
  }
}
