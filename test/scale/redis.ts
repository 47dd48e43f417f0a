// Helpers of the scale lane's Redis tests: a key prefix of its own per run, its keys removed afterwards,
// and `clinvk serve` instances (each its own CLINVK_HOME, as on separate machines).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { CLI } from "../cli/run-cli.js";

export const TEST_REDIS_URL = process.env.CLINVK_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const REDIS_PREFIX = `clinvk-t${process.pid}-${Date.now().toString(36)}:`;

export async function deleteRunKeys(): Promise<void> {
  const client = new Redis(TEST_REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "MATCH", `${REDIS_PREFIX}*`, "COUNT", 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    if (keys.length) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

export interface Instance {
  base: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const instances: Instance[] = [];

/** `clinvk serve` on a free port with `env` on top of this process's; resolves once it listens. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0"], {
    env: { ...process.env, CLINVK_HOME: mkdtempSync(join(tmpdir(), "clinvk-instance-")), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (chunk) => {
      err += chunk;
      const match = /serving on (http:\/\/\S+)/.exec(err);
      if (match) resolve(match[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const instance: Instance = {
    base,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
  instances.push(instance);
  return instance;
}

export async function stopInstances(): Promise<void> {
  await Promise.all(instances.splice(0).map((instance) => instance.stop()));
}
