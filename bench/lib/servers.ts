/**
 * Servers under test, each a child process on 127.0.0.1 and a port of its own: `clinvk serve` from
 * the bundle, and a bare Fastify app as the floor.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killGroup, memoryOf, waitForOutput } from "./processes.js";

export interface RunningServer {
  url: string;
  pid: number;
  child: ChildProcess;
  /** The last of what it wrote to stderr, for error messages. */
  stderrTail(): string;
  memory(): { rssMb: number; peakMb: number } | undefined;
  stop(): Promise<void>;
}

function track(child: ChildProcess, url: string): RunningServer {
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("the server did not start");
  return {
    url,
    pid,
    child,
    stderrTail: () => tail,
    memory: () => memoryOf(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface ServeOptions {
  /** CLINVK_HOME of the server; config.yaml is written there. */
  home: string;
  /** The config file's text (YAML). */
  config?: string;
  env?: NodeJS.ProcessEnv;
  logLevel?: string;
}

/** `node <cli> serve --port 0`: resolves once it prints its address. Its log (stdout) goes to /dev/null. */
export async function startClinvkServe(cli: string, options: ServeOptions): Promise<RunningServer> {
  mkdirSync(options.home, { recursive: true });
  if (options.config !== undefined) writeFileSync(join(options.home, "config.yaml"), options.config);
  const child = spawn(
    process.execPath,
    [cli, "serve", "--host", "127.0.0.1", "--port", "0", "--log-level", options.logLevel ?? "info"],
    {
      env: { ...(options.env ?? process.env), CLINVK_HOME: options.home },
      cwd: options.home,
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    },
  );
  const match = await waitForOutput(child, /serving on (http:\/\/127\.0\.0\.1:\d+)/);
  return track(child, match[1] as string);
}

/** The bare Fastify app of bench/servers/bare-fastify.ts (run through tsx). */
export async function startBareFastify(root: string): Promise<RunningServer> {
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "bench", "servers", "bare-fastify.ts")], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const match = await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  child.stdout?.resume();
  return track(child, match[1] as string);
}
