/**
 * Whether a run goes to a long-lived process, and the launch, turn and pool keys it goes with. A
 * run that needs what live mode does not carry yet goes one-shot, said as a warning: client tools
 * (their per-run MCP server is fixed on a command line), a fork, a codex output schema, a private
 * config folder.
 */

import type { Backend, ImageInput, Invocation, InvocationOptions } from "../backends/backend.js";
import type { LiveLaunchOptions, LiveProtocol, LiveTurnInput } from "../backends/live-protocol.js";
import type { BackendName } from "../core/events.js";
import { LivePool } from "./live-pool.js";

export interface LiveChoice {
  protocol: LiveProtocol;
  launch: LiveLaunchOptions;
  invocation: Invocation;
  turn: LiveTurnInput;
  /** The CLI's conversation this turn continues, however the protocol opens it. */
  conversation?: string;
}

export interface PreparedLive extends LiveChoice {
  /** The pool key of an idle process that can take this turn. */
  key: string;
  /** The key a process goes back to the pool under once it holds this conversation. */
  keyFor(conversationId: string | undefined): string;
}

/** The live run for these options, or why the run goes one-shot. */
export function chooseLive(
  backend: Backend,
  options: InvocationOptions,
  cwd: string,
  images: ImageInput[] | undefined,
): LiveChoice | string {
  const protocol = backend.live;
  if (!protocol) return `${backend.name} has no live mode`;
  if (options.clientTools) return "client tools run one-shot";
  if (options.forkSession) return "a fork runs one-shot";
  if (options.outputSchema) return "an output schema runs one-shot";
  const { prompt, promptVia: _via, images: _images, outputSchema: _schema, ...fixed } = options;
  const resume = protocol.capabilities.resume;
  // A process that opens a conversation itself is launched for none: the turn names it.
  const launch: LiveLaunchOptions = {
    ...fixed,
    ...(resume !== "launch" ? { resume: undefined } : {}),
    cwd,
    // Always, where the protocol asks: a run with no one to ask refuses what the CLI would have
    // refused (live-cli.ts), and every turn of a conversation can go to the same process.
    askPermissions: protocol.capabilities.permissions,
  };
  const invocation = protocol.launch(launch);
  if (invocation.files?.length || invocation.overlay) return "this run's configuration files need a one-shot run";
  const turn: LiveTurnInput = {
    prompt,
    ...(images?.length ? { images } : {}),
    ...(resume !== "launch" && options.resume ? { resume: options.resume } : {}),
  };
  return { protocol, launch, invocation, turn, ...(options.resume ? { conversation: options.resume } : {}) };
}

/** Adds the pool keys once the command and the environment are known. */
export function preparedLive(
  choice: LiveChoice,
  where: { backend: BackendName; command: string; cwd: string; env: NodeJS.ProcessEnv },
): PreparedLive {
  const keyOf = (invocation: Invocation) => LivePool.key({ ...where, args: invocation.args });
  const fixedAtLaunch = choice.protocol.capabilities.resume === "launch";
  const keyFor = (conversationId: string | undefined) =>
    fixedAtLaunch && conversationId !== choice.launch.resume
      ? keyOf(choice.protocol.launch({ ...choice.launch, resume: conversationId }))
      : keyOf(choice.invocation);
  return { ...choice, key: keyOf(choice.invocation), keyFor };
}

/**
 * Why this CLI version should not run live (older than its protocol was recorded against), or
 * undefined. An unknown version is given the benefit of the doubt: its process then fails to start
 * or speaks the protocol, and a start that fails goes one-shot anyway.
 */
export function tooOldForLive(
  version: string | undefined,
  protocol: LiveProtocol,
  backend: BackendName,
): string | undefined {
  if (!version) return undefined;
  const parts = (text: string) => (text.match(/\d+/g) ?? []).slice(0, 3).map(Number);
  const have = parts(version);
  const need = parts(protocol.minVersion);
  for (let i = 0; i < need.length; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b)
      return a < b
        ? `not live: ${backend} ${version} is older than its live protocol (${protocol.minVersion}); one process per turn`
        : undefined;
  }
  return undefined;
}
