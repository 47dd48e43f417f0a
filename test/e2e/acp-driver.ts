// A minimal Agent Client Protocol client for recording and probing `gemini --acp` by hand (record-gemini-live.ts):
// JSON-RPC 2.0 over newline-delimited stdio, with a transcript of every line in both directions. It is a test tool,
// independent of the codec under test (src/backends/gemini-live.ts), so that the fixtures it writes show the wire
// as the CLI speaks it.
// biome-ignore-all lint/suspicious/noExplicitAny: protocol JSON is read loosely here.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { CliSandbox } from "./cli-env.js";

/** One transcript line: `>` written to the CLI's stdin, `<` read from its stdout. */
export interface TranscriptLine {
  dir: ">" | "<";
  line: string;
}

export class AcpDriver {
  readonly transcript: TranscriptLine[] = [];
  readonly child: ChildProcess;
  stderr = "";
  private nextId = 1;
  private readonly pending = new Map<number, (message: any) => void>();
  private readonly watchers: Array<{ test: (m: any) => boolean; resolve: (m: any) => void }> = [];
  /** Answers the agent's `session/request_permission` requests (by default: none, the request waits). */
  onPermission?: (params: any) => unknown;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;

  constructor(sb: CliSandbox, args: string[]) {
    this.child = spawn(sb.commands.gemini, args, { cwd: sb.workDir, env: sb.env, stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.on("exit", (code, signal) => resolve({ code, signal })));
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => this.read(line));
  }

  private read(line: string) {
    this.transcript.push({ dir: "<", line });
    let message: any;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.method === "session/request_permission" && this.onPermission) {
      this.write({ jsonrpc: "2.0", id: message.id, result: this.onPermission(message.params) });
    }
    if (message.method === undefined && typeof message.id === "number") this.pending.get(message.id)?.(message);
    for (const watcher of [...this.watchers]) {
      if (watcher.test(message)) {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        watcher.resolve(message);
      }
    }
  }

  write(message: unknown) {
    const line = JSON.stringify(message);
    this.transcript.push({ dir: ">", line });
    this.child.stdin?.write(`${line}\n`);
  }

  /** Sends a request; resolves with the whole response (result or error). */
  request(method: string, params: unknown, timeoutMs = 60_000): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${method} (#${id}) got no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.pending.set(id, (m) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(m);
      });
      this.write({ jsonrpc: "2.0", id, method, params });
    });
  }

  notify(method: string, params: unknown) {
    this.write({ jsonrpc: "2.0", method, params });
  }

  /** Resolves with the next message matching `test`. */
  next(test: (m: any) => boolean, timeoutMs = 60_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms`)), timeoutMs);
      this.watchers.push({
        test,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Closes stdin (the CLI exits on its own) and waits; kills it after `timeoutMs`. */
  async close(timeoutMs = 10_000) {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const outcome = await this.exited;
    clearTimeout(timer);
    return outcome;
  }
}

export const initializeParams = {
  protocolVersion: 1,
  // No fs or terminal: the agent reads, writes and runs commands with its own tools.
  clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
};

export const textPrompt = (sessionId: string, text: string) => ({ sessionId, prompt: [{ type: "text", text }] });
