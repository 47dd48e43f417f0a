/**
 * A CLI's own transcript of a session (claude's project .jsonl, codex's rollout, gemini's chat file),
 * as a shared store keeps it so that an instance without it can resume the session. Paths are
 * relative to the CLI's own folder for sessions; checked wherever they are read.
 */
import { createHash } from "node:crypto";
import { ClinvkError } from "../core/errors.js";

export interface TranscriptFile {
  /** Relative to the CLI's session folder, with `/`: never absolute, never `..`. */
  path: string;
  /** Hex SHA-256 of the content. */
  sha256: string;
  content: Buffer;
}

/** One file's largest size carried; a longer transcript stays local (and says so). */
export const MAX_TRANSCRIPT_FILE_BYTES = 32 * 1024 * 1024;
/** All files of one session together. */
export const MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024;
/** Files per session (a transcript and its side files). */
export const MAX_TRANSCRIPT_FILES = 16;

export const sha256 = (content: Buffer): string => createHash("sha256").update(content).digest("hex");

const SEGMENT = /^[A-Za-z0-9._-]{1,200}$/;

/** Whether a relative path can be trusted to stay inside the folder it is joined to. */
export function isSafeRelativePath(path: unknown): path is string {
  if (typeof path !== "string" || path.length === 0 || path.length > 1024) return false;
  const segments = path.split("/");
  return segments.length <= 8 && segments.every((s) => SEGMENT.test(s) && s !== "." && s !== "..");
}

/** Refuses a file whose path or checksum cannot be trusted (a store written by someone else). */
export function checkTranscriptFile(file: TranscriptFile): TranscriptFile {
  if (!isSafeRelativePath(file.path)) {
    throw new ClinvkError(
      "session_error",
      `refused a stored transcript file with the path ${JSON.stringify(file.path)}`,
    );
  }
  if (file.content.length > MAX_TRANSCRIPT_FILE_BYTES || sha256(file.content) !== file.sha256) {
    throw new ClinvkError(
      "session_error",
      `the stored transcript file ${file.path} does not match its checksum`,
      "the shared store was changed outside clinvk; the session cannot be restored on this instance",
    );
  }
  return file;
}
