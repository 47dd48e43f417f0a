/** `clinvk sessions list|show|delete|clean|tag|fork|repair`. */
import { resolve } from "node:path";
import { isBackendName } from "../../core/backend-names.js";
import { sessionRequest } from "../../engine/session-requests.js";
import { parseAge, relativeAge, retentionCutoff } from "../../sessions/age.js";
import { MAX_QUERY_LENGTH } from "../../sessions/search.js";
import {
  displayName,
  SESSION_STATUSES,
  type Session,
  type SessionFilter,
  type SessionStatus,
} from "../../sessions/session.js";
import { cliContext } from "../context.js";
import { executeRun } from "../execute.js";
import { ExitCode } from "../exit-codes.js";
import { usageError } from "../fail.js";
import { parseCount } from "../options.js";
import { outputFormatOf, type RunFlags, runFlagsToRequest } from "../run-options.js";
import { combinePrompt, readPipedStdin, stdinIsPiped } from "../stdin.js";
import { table, truncate } from "../table.js";

interface Common {
  config?: string;
  json?: boolean;
}

export interface ListFlags extends Common {
  backend?: string;
  status?: string;
  tag?: string;
  workdir?: string;
  search?: string;
  limit?: string;
  offset?: string;
}

const write = (text: string) => process.stdout.write(text);
const json = (value: unknown) => write(`${JSON.stringify(value, null, 2)}\n`);

function filterFrom(flags: ListFlags): SessionFilter {
  const filter: SessionFilter = {};
  if (flags.backend !== undefined) {
    if (!isBackendName(flags.backend))
      throw usageError(`unknown backend "${flags.backend}"`, "use claude, codex or gemini");
    filter.backend = flags.backend;
  }
  if (flags.status !== undefined) {
    if (!(SESSION_STATUSES as readonly string[]).includes(flags.status)) {
      throw usageError(`invalid --status "${flags.status}"`, `use one of: ${SESSION_STATUSES.join(", ")}`);
    }
    filter.status = flags.status as SessionStatus;
  }
  if (flags.tag) filter.tag = flags.tag;
  if (flags.workdir) filter.workdir = resolve(flags.workdir);
  if (flags.search !== undefined) {
    if (flags.search.trim().length > MAX_QUERY_LENGTH)
      throw usageError(`--search is at most ${MAX_QUERY_LENGTH} characters`, "search for a shorter part of the text");
    filter.q = flags.search;
  }
  filter.limit = parseCount("--limit", flags.limit);
  filter.offset = parseCount("--offset", flags.offset);
  return filter;
}

export async function runSessionsList(flags: ListFlags): Promise<number> {
  const { store } = await cliContext(flags.config);
  const page = await store.list(filterFrom(flags));
  for (const problem of store.problems()) process.stderr.write(`clinvk: warning: ${problem}\n`);
  if (flags.json) {
    // An array, as the Go clinvoker documents it (its jq recipes read `.[]`); --limit and --offset page it.
    json(page.sessions);
    return ExitCode.ok;
  }
  if (page.total === 0) {
    write("No sessions found.\n");
    return ExitCode.ok;
  }
  const rows = page.sessions.map((s) => [
    s.id.slice(0, 8),
    s.backend,
    s.status || "unknown",
    relativeAge(s.last_used),
    s.token_usage.input_tokens + s.token_usage.output_tokens > 0
      ? String(s.token_usage.input_tokens + s.token_usage.output_tokens)
      : "-",
    displayName(s, 40),
  ]);
  write(table(["ID", "BACKEND", "STATUS", "LAST USED", "TOKENS", "TITLE/PROMPT"], rows));
  if (page.sessions.length < page.total)
    write(`(${page.sessions.length} of ${page.total}; --limit and --offset page)\n`);
  return ExitCode.ok;
}

export async function runSessionsShow(id: string, flags: Common): Promise<number> {
  const { store } = await cliContext(flags.config);
  const session = await store.getByPrefix(id);
  if (flags.json) {
    json(session);
    return ExitCode.ok;
  }
  const usage = session.token_usage;
  const lines: [string, string | undefined][] = [
    ["ID", session.id],
    ["Backend", session.backend],
    ["Model", session.model],
    ["Status", session.status],
    ["Created", session.created_at],
    ["Last Used", `${session.last_used} (${relativeAge(session.last_used)})`],
    ["Working Directory", session.working_dir],
    ["Backend Session", session.backend_session_id],
    ["Title", session.title],
    ["Initial Prompt", session.initial_prompt && truncate(session.initial_prompt, 80)],
    ["Turns", String(session.turn_count)],
    [
      "Kept Turns",
      session.turns?.length
        ? `${session.turns.length}${session.turns_dropped ? ` (${session.turns_dropped} older dropped)` : ""}; --json shows them`
        : undefined,
    ],
    [
      "Tokens",
      `input ${usage.input_tokens}, output ${usage.output_tokens}, cached ${usage.cached_tokens}, reasoning ${usage.reasoning_tokens}, total ${usage.input_tokens + usage.output_tokens}`,
    ],
    ["Tags", session.tags.length ? session.tags.join(", ") : undefined],
    ["Parent Session", session.parent_id],
    ["Error", session.error_message],
    ["Metadata", Object.keys(session.metadata).length ? JSON.stringify(session.metadata) : undefined],
  ];
  const width = Math.max(...lines.map(([key]) => key.length)) + 1;
  for (const [key, value] of lines)
    if (value !== undefined && value !== "") write(`${`${key}:`.padEnd(width)} ${value}\n`);
  return ExitCode.ok;
}

export async function runSessionsDelete(id: string, flags: Common): Promise<number> {
  const { store } = await cliContext(flags.config);
  const session = await store.getByPrefix(id);
  await store.delete(session.id);
  write(`Session ${session.id} deleted.\n`);
  return ExitCode.ok;
}

export async function runSessionsClean(flags: Common & { olderThan?: string; dryRun?: boolean }): Promise<number> {
  const { store, config } = await cliContext(flags.config);
  let cutoff: Date;
  if (flags.olderThan !== undefined) {
    const parsed = parseAge(flags.olderThan);
    if (parsed === undefined)
      throw usageError(`invalid --older-than "${flags.olderThan}"`, "for example 7d, 12h or 30");
    cutoff = new Date(Date.now() - parsed);
  } else if (config.session.retention_days > 0) {
    cutoff = retentionCutoff(config.session.retention_days);
  } else {
    throw usageError(
      "session.retention_days is 0 (keep everything), so clean needs --older-than",
      "for example: clinvk sessions clean --older-than 30d",
    );
  }
  const result = await store.clean(cutoff, { dryRun: flags.dryRun });
  if (flags.json) {
    json({ dry_run: result.dryRun, cutoff: cutoff.toISOString(), sessions: result.sessions.map((s) => s.id) });
    return ExitCode.ok;
  }
  const verb = result.dryRun ? "Would delete" : "Deleted";
  for (const s of result.sessions)
    write(`${verb} ${s.id.slice(0, 8)}  ${s.backend}  ${relativeAge(s.last_used)}  ${displayName(s, 40)}\n`);
  write(
    `${verb} ${result.sessions.length} session(s) not used since ${cutoff.toISOString().slice(0, 16).replace("T", " ")}.\n`,
  );
  return ExitCode.ok;
}

export async function runSessionsTag(
  id: string,
  tags: string[],
  flags: Common & { remove?: boolean },
): Promise<number> {
  const { store } = await cliContext(flags.config);
  const wanted = tags
    .flatMap((tag) => tag.split(","))
    .map((tag) => tag.trim())
    .filter(Boolean);
  if (wanted.length === 0) throw usageError("give at least one tag");
  const found = await store.getByPrefix(id);
  const session = await store.update(found.id, (s) => {
    s.tags = flags.remove ? s.tags.filter((tag) => !wanted.includes(tag)) : [...new Set([...s.tags, ...wanted])];
  });
  if (flags.json) json(session);
  else write(`Session ${session.id.slice(0, 8)} tags: ${session.tags.join(", ") || "(none)"}\n`);
  return ExitCode.ok;
}

/**
 * A new session that goes on from where another one is, in a conversation of its own: the CLI forks it
 * at the first turn (claude's --fork-session). With a prompt, that first turn runs now.
 */
export async function runSessionsFork(id: string, words: string[], flags: Common & RunFlags): Promise<number> {
  const { config, store, engine } = await cliContext(flags.config);
  const parent = await store.getByPrefix(id);
  if (!engine.registry.get(parent.backend).canFork) {
    throw usageError(
      `${parent.backend} cannot fork a conversation: its resume always continues the one conversation, so a fork would share it`,
      `only claude sessions fork; go on with the original (clinvk resume ${parent.id.slice(0, 8)} "...") or start a new session`,
    );
  }
  const argument = words.join(" ").trim() || undefined;
  const piped = stdinIsPiped() ? await readPipedStdin({ optional: argument !== undefined }) : undefined;
  const prompt = combinePrompt(argument, piped);
  const format = outputFormatOf(flags, config);
  // A dry run writes nothing: it shows the first turn's command as the fork would run it.
  const fork: Session = flags.dryRun ? { ...parent, parent_id: parent.id, turn_count: 0 } : await store.fork(parent.id);
  if (prompt) {
    if (!flags.dryRun) {
      process.stderr.write(
        `clinvk: forked ${parent.id.slice(0, 8)} as ${fork.id.slice(0, 8)}; running its first turn\n`,
      );
    }
    const request = sessionRequest(fork, { ...runFlagsToRequest(flags, format), prompt });
    return executeRun(engine, request, format, config, flags.outputFormat !== undefined && format === "json");
  }
  if (flags.dryRun) {
    write(`Would fork ${parent.id.slice(0, 8)} (${parent.backend})\n`);
    return ExitCode.ok;
  }
  if (flags.json) json(fork);
  else
    write(
      `Forked ${parent.id.slice(0, 8)} as ${fork.id} (resume it with: clinvk resume ${fork.id.slice(0, 8)} "...")\n`,
    );
  return ExitCode.ok;
}

export async function runSessionsRepair(flags: Common): Promise<number> {
  const { store } = await cliContext(flags.config);
  const sessions = (await store.repair?.()) ?? (await store.count());
  const problems = store.problems();
  if (flags.json) write(`${JSON.stringify({ sessions, problems }, null, 2)}\n`);
  else {
    for (const problem of problems) process.stderr.write(`clinvk: ${problem}\n`);
    write(`Index rebuilt from ${sessions} session file${sessions === 1 ? "" : "s"}.\n`);
  }
  return ExitCode.ok;
}
