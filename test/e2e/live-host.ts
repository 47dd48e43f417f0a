// The live e2e files' way to drive a real CLI through its codec: a process opened with the host (LiveCli) from
// launch options with the defaults a run would have, and a turn read to its end.
import { writeFileSync } from "node:fs";
import type { LiveLaunchOptions, LiveProtocol, LiveTurnInput } from "../../src/backends/live-protocol.js";
import type { BackendName, EventBody } from "../../src/core/events.js";
import { LiveCli, type LiveTurnControl, type LiveTurnOutcome } from "../../src/engine/live-cli.js";
import type { CliSandbox } from "./cli-env.js";

/** Launch options as a run with no options would have them, in the sandbox's work dir. */
export function launchOptions(sb: CliSandbox, overrides: Partial<LiveLaunchOptions> = {}): LiveLaunchOptions {
  return {
    approvalMode: "default",
    sandboxMode: "default",
    allowedTools: [],
    allowedDirs: [],
    extraFlags: [],
    ephemeral: false,
    cwd: sb.workDir,
    askPermissions: true,
    ...overrides,
  };
}

/** Starts the backend's live process in the sandbox (its files written first) and completes the handshake. */
export async function openLive(
  backend: BackendName,
  protocol: LiveProtocol,
  sb: CliSandbox,
  overrides: Partial<LiveLaunchOptions> = {},
): Promise<LiveCli> {
  const launch = launchOptions(sb, overrides);
  const invocation = protocol.launch(launch);
  for (const file of invocation.files ?? []) writeFileSync(file.path, file.content, { mode: 0o600 });
  return LiveCli.open({
    backend,
    protocol,
    launch,
    invocation,
    command: sb.commands[backend],
    env: { ...sb.env, ...invocation.env },
  });
}

export interface TurnRun {
  events: EventBody[];
  /** When each event arrived (Date.now() ms), by index in `events`. */
  at: number[];
  outcome: LiveTurnOutcome;
}

/** Runs one turn to its end: its events, when each came, and its outcome. `onEvent` sees each as it comes. */
export async function runTurn(
  cli: LiveCli,
  input: LiveTurnInput,
  control: LiveTurnControl = {},
  onEvent: (event: EventBody) => void = () => {},
): Promise<TurnRun> {
  const events: EventBody[] = [];
  const at: number[] = [];
  const run = cli.turn(input, { timeoutMs: 60_000, ...control });
  while (true) {
    const step = await run.next();
    if (step.done) return { events, at, outcome: step.value };
    if (step.value.kind !== "event") continue;
    events.push(step.value.body);
    at.push(Date.now());
    onEvent(step.value.body);
  }
}

/** The text of a turn's events. */
export const textOf = (events: EventBody[]) =>
  events.flatMap((event) => (event.type === "text" ? [event.text] : [])).join("");
