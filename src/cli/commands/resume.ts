/** `clinvk resume [id] [prompt]`: send a prompt to an earlier session, picked by id, --last or -i. */

import { isBackendName } from "../../core/backend-names.js";
import { ClinvkError } from "../../core/errors.js";
import { newestResumable, sessionRequest } from "../../engine/session-requests.js";
import { relativeAge } from "../../sessions/age.js";
import { displayName, type Session } from "../../sessions/session.js";
import type { SessionStore } from "../../sessions/store.js";
import { cliContext } from "../context.js";
import { executeRun } from "../execute.js";
import { usageError } from "../fail.js";
import { pick } from "../picker.js";
import { outputFormatOf, type RunFlags, runFlagsToRequest } from "../run-options.js";
import { combinePrompt, readPipedStdin, stdinIsPiped } from "../stdin.js";

export interface ResumeFlags extends RunFlags {
  last?: boolean;
  here?: boolean;
  backend?: string;
  interactive?: boolean;
  ephemeral?: boolean;
  config?: string;
}

const PICKER_ROWS = 20;

export async function runResumeCommand(args: string[], flags: ResumeFlags): Promise<number> {
  const { config, store, engine } = await cliContext(flags.config);
  const backend = flags.backend?.trim().toLowerCase();
  if (backend !== undefined && !isBackendName(backend)) {
    throw new ClinvkError("backend_unknown", `unknown backend "${backend}"`, "use one of: claude, codex, gemini");
  }
  const where = { backend, workdir: flags.here ? process.cwd() : undefined };

  let session: Session;
  let promptWords: string[];
  if (flags.last) {
    const newest = await newestResumable(store, where);
    if (!newest) throw noSessions(where);
    session = await store.get(newest.id);
    promptWords = args;
  } else if (args.length > 0 && !flags.interactive) {
    session = await store.getByPrefix(args[0] as string);
    promptWords = args.slice(1);
  } else if (process.stdin.isTTY && process.stderr.isTTY) {
    session = await pickSession(store, where);
    promptWords = args;
  } else {
    throw usageError(
      "which session? give its id (or the first characters), --last, or -i on a terminal",
      "`clinvk sessions list` shows the sessions",
    );
  }

  let argument = promptWords.join(" ").trim() || undefined;
  const piped = stdinIsPiped() ? await readPipedStdin({ optional: argument !== undefined }) : undefined;
  if (argument === undefined && piped === undefined && process.stdin.isTTY && process.stderr.isTTY) {
    // No prompt given, on a terminal: ask for it, as the Go clinvoker's pass-through stdin would have.
    const { askLine } = await import("../ask.js");
    argument = await askLine(`Prompt for session ${session.id.slice(0, 8)} (${session.backend}): `);
    if (argument === undefined) throw new ClinvkError("cancelled", "no prompt given; nothing was sent");
  }
  const format = outputFormatOf(flags, config);
  const resumed = sessionRequest(session, {
    ...runFlagsToRequest(flags, format),
    prompt: combinePrompt(argument, piped),
  });
  // An ephemeral turn is a side question: the CLI does not save it, and the session stays as it was.
  const request = flags.ephemeral ? { ...resumed, sessionId: undefined, ephemeral: true } : resumed;
  process.stderr.write(
    `clinvk: resuming session ${session.id.slice(0, 8)} (${session.backend})${flags.ephemeral ? "; this turn is not saved" : ""}\n`,
  );
  return executeRun(engine, request, format, config, flags.outputFormat !== undefined && format === "json");
}

async function pickSession(store: SessionStore, where: { backend?: string; workdir?: string }): Promise<Session> {
  const filter = { resumable: true, ...(where.workdir ? { workdir: where.workdir } : {}) };
  const page = await store.list(
    where.backend && isBackendName(where.backend) ? { ...filter, backend: where.backend } : filter,
  );
  if (page.total === 0) throw noSessions(where);
  const rows = page.sessions.slice(0, PICKER_ROWS);
  const chosen = await pick(
    `Resume which session?${page.total > PICKER_ROWS ? ` (newest ${PICKER_ROWS} of ${page.total})` : ""}`,
    rows.map((s) => ({
      label: `${s.id.slice(0, 8)}  ${s.backend.padEnd(6)}  ${relativeAge(s.last_used).padEnd(10)}  ${displayName(s, 50)}`,
    })),
  );
  if (chosen === undefined) throw new ClinvkError("cancelled", "no session picked");
  return store.get((rows[chosen] as { id: string }).id);
}

function noSessions(where: { backend?: string; workdir?: string }): ClinvkError {
  const scope = [where.backend && `of ${where.backend}`, where.workdir && `in ${where.workdir}`]
    .filter(Boolean)
    .join(" ");
  return new ClinvkError(
    "session_not_found",
    `no resumable session${scope ? ` ${scope}` : ""}`,
    'start one with `clinvk "..."`; `clinvk sessions list` shows the sessions there are',
  );
}
