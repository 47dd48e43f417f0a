/**
 * Where each CLI keeps its own transcript of a session, for carrying it between instances:
 *   claude  $CLAUDE_CONFIG_DIR (else $HOME/.claude) /projects/<cwd, non-alphanumerics as ->/<id>.jsonl
 *   codex   $CODEX_HOME (else $HOME/.codex) /sessions/YYYY/MM/DD/rollout-<ts>-<id>.jsonl
 *   gemini  $GEMINI_CLI_HOME (else $HOME) /.gemini/tmp/<project>/chats/session-<ts>-<id8>.jsonl, and the
 *           project folder's .project_root (the cwd it belongs to)
 * (docs/guides/scaling.md; shared/reference/cli-formats.md). Only regular files inside that folder
 * are read or written, found by the backend session id (checked), never by a path from elsewhere.
 */
import { lstat, mkdir, open, readdir, readFile, realpath } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import writeFileAtomic from "write-file-atomic";
import type { BackendName } from "../core/backend-names.js";
import {
  checkTranscriptFile,
  isSafeRelativePath,
  MAX_TRANSCRIPT_BYTES,
  MAX_TRANSCRIPT_FILE_BYTES,
  MAX_TRANSCRIPT_FILES,
  sha256,
  type TranscriptFile,
} from "../sessions/transcript.js";

/** The ids the CLIs hand out (UUIDs); anything else is never looked for. */
const BACKEND_SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9-]{7,63}$/;

/** The CLI's own folder for sessions, as the child's environment places it. */
export function transcriptRoot(backend: BackendName, env: NodeJS.ProcessEnv): string | undefined {
  const home = env.HOME;
  switch (backend) {
    case "claude": {
      const config = env.CLAUDE_CONFIG_DIR || (home ? join(home, ".claude") : undefined);
      return config ? join(config, "projects") : undefined;
    }
    case "codex": {
      const codexHome = env.CODEX_HOME || (home ? join(home, ".codex") : undefined);
      return codexHome ? join(codexHome, "sessions") : undefined;
    }
    case "gemini": {
      const base = env.GEMINI_CLI_HOME || home;
      return base ? join(base, ".gemini", "tmp") : undefined;
    }
    default:
      return undefined;
  }
}

const names = (dir: string) => readdir(dir).catch(() => [] as string[]);

/** Relative paths of the session's files under the root (at most MAX_TRANSCRIPT_FILES). */
async function findFiles(backend: BackendName, root: string, id: string, cwd: string): Promise<string[]> {
  if (backend === "claude") {
    const own = cwd.replace(/[^A-Za-z0-9]/g, "-");
    const candidates = [own, ...(await names(root)).filter((name) => name !== own)];
    for (const project of candidates)
      if (await isFile(join(root, project, `${id}.jsonl`))) return [`${project}/${id}.jsonl`];
    return [];
  }
  if (backend === "codex") {
    // Newest day first: a resumed rollout is usually recent.
    for (const year of (await names(root)).sort().reverse())
      for (const month of (await names(join(root, year))).sort().reverse())
        for (const day of (await names(join(root, year, month))).sort().reverse()) {
          const match = (await names(join(root, year, month, day))).find(
            (name) => name.startsWith("rollout-") && name.endsWith(`-${id}.jsonl`),
          );
          if (match) return [`${year}/${month}/${day}/${match}`];
        }
    return [];
  }
  if (backend === "gemini") {
    for (const project of await names(root)) {
      const chats = join(root, project, "chats");
      for (const name of await names(chats)) {
        if (!name.startsWith("session-") || !name.includes(id.slice(0, 8))) continue;
        if (!(await firstBytes(join(chats, name))).includes(`"sessionId":"${id}"`)) continue;
        const marker = (await isFile(join(root, project, ".project_root"))) ? [`${project}/.project_root`] : [];
        return [`${project}/chats/${name}`, ...marker];
      }
    }
  }
  return [];
}

async function isFile(path: string): Promise<boolean> {
  const stat = await lstat(path).catch(() => undefined);
  return stat?.isFile() === true;
}

async function firstBytes(path: string, bytes = 512): Promise<string> {
  const handle = await open(path, "r").catch(() => undefined);
  if (!handle) return "";
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** Whether `path` (which exists) is really inside `root`, following links. */
async function inside(root: string, path: string): Promise<boolean> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]).catch(() => ["", ""]);
  return realRoot !== "" && (real === realRoot || real.startsWith(`${realRoot}${sep}`));
}

/** Makes `relative`'s folders under root one by one, refusing any that is a link (false then). */
async function makeFolders(root: string, relative: string): Promise<boolean> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  let current = root;
  for (const segment of relative === "." ? [] : relative.split("/")) {
    current = join(current, segment);
    const stat = await lstat(current).catch(() => undefined);
    if (!stat) await mkdir(current, { mode: 0o700 });
    else if (!stat.isDirectory()) return false;
  }
  return true;
}

export interface CollectResult {
  files: TranscriptFile[];
  /** Files left out, and why (too large, a link). */
  skipped: string[];
}

/** The session's transcript files as they are now, bounded; nothing when the CLI kept none. */
export async function collectTranscript(
  backend: BackendName,
  env: NodeJS.ProcessEnv,
  backendSessionId: string,
  cwd: string,
): Promise<CollectResult> {
  const root = transcriptRoot(backend, env);
  if (!root || !BACKEND_SESSION_ID.test(backendSessionId)) return { files: [], skipped: [] };
  const files: TranscriptFile[] = [];
  const skipped: string[] = [];
  let total = 0;
  for (const path of (await findFiles(backend, root, backendSessionId, cwd)).slice(0, MAX_TRANSCRIPT_FILES)) {
    const full = join(root, path);
    const stat = await lstat(full);
    if (!stat.isFile() || !(await inside(root, full))) skipped.push(`${path}: not a regular file inside ${root}`);
    else if (stat.size > MAX_TRANSCRIPT_FILE_BYTES || total + stat.size > MAX_TRANSCRIPT_BYTES)
      skipped.push(`${path}: larger than the ${MAX_TRANSCRIPT_FILE_BYTES}-byte bound`);
    else {
      const content = await readFile(full);
      total += content.length;
      files.push({ path, sha256: sha256(content), content });
    }
  }
  return { files, skipped };
}

/**
 * Writes the stored files that this instance lacks or has in another version (the store holds the
 * newest turn), each checked and inside the CLI's folder. Returns the paths written.
 */
export async function restoreTranscript(
  backend: BackendName,
  env: NodeJS.ProcessEnv,
  files: readonly TranscriptFile[],
): Promise<string[]> {
  const root = transcriptRoot(backend, env);
  if (!root || files.length === 0) return [];
  const written: string[] = [];
  for (const file of files) {
    checkTranscriptFile(file);
    if (!isSafeRelativePath(file.path)) continue;
    const full = join(root, file.path);
    const local = await lstat(full).catch(() => undefined);
    if (local && !local.isFile()) continue; // a link or a folder of the user's: never written through
    if (local && sha256(await readFile(full)) === file.sha256) continue;
    if (!(await makeFolders(root, dirname(file.path)))) continue;
    await writeFileAtomic(full, file.content, { mode: 0o600, fsync: true });
    written.push(file.path);
  }
  return written;
}
