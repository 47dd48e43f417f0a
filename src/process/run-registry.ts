/**
 * A record on disk of the CLIs a long-running process (the server) has started, one small file per
 * run, so that none outlives it: if it dies without its exit hook (SIGKILL, OOM), its supervisor
 * kills what it left (supervisor.ts), and its next start settles the rest. A pid may have been
 * reused since: a process is only killed when its start time is the one recorded.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { markedProcesses, signalGroup } from "./process-group.js";

export interface RegisteredRun {
  pid: number;
  /** The run's environment marker (process-group.ts). */
  marker: string;
  /** The process that started it, with its start time (pids are reused). */
  owner: number;
  ownerStart: string;
  start: string;
  /** The caller's name for the run (the server: the session it belongs to). */
  tag?: string;
}

/** The start time of a process in clock ticks since boot (Linux), or undefined when it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Field 22, counted after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

const isAlive = (pid: number, start: string) => processStartTime(pid) === start;

export class RunRegistry {
  private readonly ownStart = processStartTime(process.pid) ?? "";

  constructor(readonly directory: string) {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
  }

  record(run: { pid: number; marker: string; tag?: string }): void {
    const entry: RegisteredRun = {
      ...run,
      owner: process.pid,
      ownerStart: this.ownStart,
      start: processStartTime(run.pid) ?? "",
    };
    try {
      writeFileSync(this.path(run.pid), JSON.stringify(entry), { mode: 0o600 });
    } catch {
      // Without the record the run still runs; only the crash cleanup cannot see it.
    }
  }

  remove(pid: number): void {
    rmSync(this.path(pid), { force: true });
  }

  entries(): RegisteredRun[] {
    let names: string[];
    try {
      names = readdirSync(this.directory);
    } catch {
      return [];
    }
    const entries: RegisteredRun[] = [];
    for (const name of names) {
      if (!/^\d+\.json$/.test(name)) continue;
      try {
        const entry = JSON.parse(readFileSync(join(this.directory, name), "utf8")) as RegisteredRun;
        if (Number.isInteger(entry.pid) && entry.pid > 1 && typeof entry.marker === "string") entries.push(entry);
      } catch {
        // A torn record: its run, if any, is found by a later sweep of its owner.
      }
    }
    return entries;
  }

  /** Kills every recorded run of `owner` that is still the process recorded; keeps the records. */
  killRunsOf(owner: number): RegisteredRun[] {
    const runs = this.entries().filter((entry) => entry.owner === owner);
    const live = runs.filter((entry) => isAlive(entry.pid, entry.start));
    const marked = markedProcesses(...runs.map((entry) => entry.marker));
    for (const entry of live) signalGroup(entry.pid, "SIGKILL");
    for (const pid of marked) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    return runs;
  }

  /**
   * The runs whose owner is dead: killed if still alive, their records removed. Returns them, so
   * that the caller can settle what they belonged to.
   */
  reapOrphans(): RegisteredRun[] {
    const orphans = this.entries().filter((entry) => !isAlive(entry.owner, entry.ownerStart));
    for (const owner of new Set(orphans.map((entry) => entry.owner))) this.killRunsOf(owner);
    for (const entry of orphans) this.remove(entry.pid);
    return orphans;
  }

  private path(pid: number): string {
    return join(this.directory, `${pid}.json`);
  }
}
