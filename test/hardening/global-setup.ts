/**
 * Global setup of the hardening suite: builds the bundled clinvk and copies it out of dist/ (other work rebuilds
 * dist/ at any moment), picks the run id that every token of the run starts with, and clears the figures of the
 * last run. The teardown kills (by pid) whatever process of the run is still there, counts it, and merges the
 * figures into .cache/hardening/figures.json.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { copyBinary } from "../../scripts/binary.mjs";
import { CACHE, CLINVK, CLINVK_DIST, FIGURES_DIR, FIGURES_FILE, ROOT } from "./lib/paths.js";

function snapshotClinvk(): void {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 4; attempt++) {
    try {
      execFileSync(process.execPath, ["scripts/build.mjs", "--cli"], { cwd: ROOT, stdio: "inherit" });
      rmSync(CLINVK_DIST, { recursive: true, force: true });
      copyBinary(join(ROOT, "dist"), CLINVK_DIST);
      // The bundle must run from its copy.
      execFileSync(process.execPath, [CLINVK, "--version"], { stdio: "ignore" });
      return;
    } catch (error) {
      lastError = error; // dist/ vanished under us (another rebuild): build again
    }
  }
  throw lastError;
}

export default function setup(project: TestProject): () => void {
  const started = new Date();
  const runId = randomBytes(4).toString("hex");
  project.provide("hardeningRunId", runId);
  snapshotClinvk();
  rmSync(FIGURES_DIR, { recursive: true, force: true });
  mkdirSync(FIGURES_DIR, { recursive: true });

  return () => {
    // Whatever process of this run is still alive now was leaked by some test: count it, then end it.
    const prefix = `HZ${runId}`;
    const left = execFileSync("ps", ["-eww", "-o", "pid=,stat=,args="], { encoding: "utf8" })
      .split("\n")
      .filter((line) => line.includes(prefix) && !/^\s*\d+\s+Z/.test(line));
    for (const line of left) {
      const pid = Number(/^\s*(\d+)/.exec(line)?.[1]);
      if (pid && pid !== process.pid) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    // The scratch directories of this run (homes, stores, sandboxes): all named clinvk-hz-*.
    for (const name of readdirSync(tmpdir())) {
      if (!name.startsWith("clinvk-hz-")) continue;
      const path = join(tmpdir(), name);
      try {
        if (statSync(path).mtimeMs >= started.getTime() - 1000) rmSync(path, { recursive: true, force: true });
      } catch {
        // gone, or not ours
      }
    }
    const sections: Record<string, unknown> = {};
    if (existsSync(FIGURES_DIR)) {
      for (const name of readdirSync(FIGURES_DIR).sort()) {
        if (!name.endsWith(".json")) continue;
        try {
          sections[name.replace(/\.json$/, "")] = JSON.parse(readFileSync(join(FIGURES_DIR, name), "utf8"));
        } catch {
          // a section cut short
        }
      }
    }
    let commit: string | undefined;
    try {
      commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    } catch {
      commit = undefined;
    }
    const finished = new Date();
    const figures = {
      run: {
        id: runId,
        started: started.toISOString(),
        finished: finished.toISOString(),
        duration_s: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
        node: process.version,
        cpus: cpus().length,
        memory_gb: Math.round(totalmem() / 1024 ** 3),
        commit,
        soak_seconds: Number(process.env.CLINVK_SOAK_SECONDS ?? 60),
        processes_left_at_end: left.length,
        processes_left_lines: left.slice(0, 20),
      },
      ...sections,
    };
    mkdirSync(CACHE, { recursive: true });
    writeFileSync(FIGURES_FILE, `${JSON.stringify(figures, null, 2)}\n`);
  };
}
