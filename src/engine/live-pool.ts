/**
 * Live CLI processes kept between turns, so that a session's next turn costs no start: each idle
 * process waits under the key of what it would be launched with for its conversation, with an
 * idle timeout and a cap per backend (the oldest goes first). Pre-warmed processes wait under the
 * key of a new conversation. A process that died is never handed out; closing the pool ends all.
 */

import { createHash } from "node:crypto";
import type { BackendName } from "../core/events.js";
import type { LiveCli } from "./live-cli.js";

export interface LivePoolOptions {
  /** Idle processes kept per backend (0: none are kept: every live turn opens and closes its own). */
  maxIdlePerBackend: number;
  /** How long an idle process waits for its next turn. */
  idleMs: number;
}

interface Idle {
  cli: LiveCli;
  key: string;
  timer: NodeJS.Timeout;
}

export class LivePool {
  private readonly idle: Idle[] = [];
  private readonly busy = new Set<LiveCli>();
  private closed = false;

  constructor(private readonly options: LivePoolOptions) {}

  /** The key of a process: everything that makes two launches the same process, hashed. */
  static key(parts: {
    backend: BackendName;
    command: string;
    args: readonly string[];
    cwd: string;
    env: NodeJS.ProcessEnv;
  }): string {
    const env = Object.entries(parts.env)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return createHash("sha256")
      .update(JSON.stringify([parts.backend, parts.command, parts.args, parts.cwd, env]))
      .digest("base64url");
  }

  /**
   * An idle process waiting under `key` that can take a turn of `conversation` (none: a new one),
   * taken out of the pool: the one holding it; else, where `switching` (the protocol opens any
   * conversation), a fresh one, then any. A process that has held a conversation never takes a new
   * one: its conversation would go on.
   */
  take(key: string, conversation: string | undefined, switching: boolean): LiveCli | undefined {
    const matching = this.idle.filter((entry) => entry.key === key && entry.cli.alive);
    const holding = conversation && matching.find((candidate) => candidate.cli.conversationId === conversation);
    const fresh = matching.find((candidate) => !candidate.cli.used);
    const entry = holding || (conversation === undefined ? fresh : switching ? (fresh ?? matching[0]) : undefined);
    if (!entry) return undefined;
    this.idle.splice(this.idle.indexOf(entry), 1);
    clearTimeout(entry.timer);
    entry.cli.keepAlive(true);
    this.busy.add(entry.cli);
    return entry.cli;
  }

  /** Follows a process opened by a turn, so that closing the pool ends it too. */
  adopt(cli: LiveCli): void {
    if (this.closed) void cli.close();
    else this.busy.add(cli);
  }

  /** A process back from its turn: kept under `key` while there is room, else closed. */
  give(cli: LiveCli, key: string | undefined): void {
    this.busy.delete(cli);
    if (this.closed || !key || !cli.alive || this.options.maxIdlePerBackend <= 0 || this.options.idleMs <= 0) {
      void cli.close();
      return;
    }
    const same = this.idle.filter((entry) => entry.cli.backend === cli.backend);
    const oldest = same[0];
    if (oldest && same.length >= this.options.maxIdlePerBackend) this.evict(oldest);
    const timer = setTimeout(() => this.evict(entry), this.options.idleMs);
    timer.unref();
    const entry: Idle = { cli, key, timer };
    cli.keepAlive(false);
    this.idle.push(entry);
  }

  /** Idle and busy processes per backend, for /health and the admission stats. */
  stats(): Partial<Record<BackendName, { idle: number; busy: number }>> {
    const out: Partial<Record<BackendName, { idle: number; busy: number }>> = {};
    const slot = (name: BackendName) => {
      out[name] ??= { idle: 0, busy: 0 };
      return out[name];
    };
    for (const entry of this.idle) slot(entry.cli.backend).idle++;
    for (const cli of this.busy) slot(cli.backend).busy++;
    return out;
  }

  /** Ends every process, idle or busy; later processes are closed as they come back. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.idle.map((entry) => entry.cli), ...this.busy];
    for (const entry of this.idle) clearTimeout(entry.timer);
    this.idle.length = 0;
    this.busy.clear();
    await Promise.all(all.map((cli) => cli.close().catch(() => undefined)));
  }

  private evict(entry: Idle): void {
    const index = this.idle.indexOf(entry);
    if (index === -1) return;
    this.idle.splice(index, 1);
    clearTimeout(entry.timer);
    void entry.cli.close();
  }
}
