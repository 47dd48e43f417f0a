/**
 * Images that go with a prompt: checked once for every face (a bounded number of files, each a
 * bounded PNG, JPEG, GIF or WebP, told by its first bytes), and refused with a clear error for a CLI
 * that cannot take images. A backend that takes the bytes inline (claude's stream-json input) gets
 * them read here.
 */
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Backend, ImageInput } from "../backends/backend.js";
import { ClinvkError } from "../core/errors.js";

export const MAX_IMAGES = 8;
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

const invalid = (message: string, hint?: string) => new ClinvkError("invalid_request", message, hint);

/** The media type from a file's first bytes, or undefined for anything else. */
export function imageMediaType(head: Uint8Array): ImageInput["mediaType"] | undefined {
  const starts = (...bytes: number[]) => bytes.every((byte, index) => head[index] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (starts(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (starts(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (starts(0x52, 0x49, 0x46, 0x46) && String.fromCharCode(...head.slice(8, 12)) === "WEBP") return "image/webp";
  return undefined;
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const head = new Uint8Array(12);
    readSync(fd, head, 0, head.length, 0);
    return head;
  } finally {
    closeSync(fd);
  }
}

export function checkImages(paths: unknown, backend: Backend, cwd: string): ImageInput[] | undefined {
  if (paths === undefined) return undefined;
  if (!Array.isArray(paths) || paths.some((path) => typeof path !== "string" || !path || path.includes("\0"))) {
    throw invalid("images must be a list of file paths");
  }
  if (paths.length === 0) return undefined;
  const how = backend.capabilities.images;
  if (!how) throw invalid(`${backend.name} cannot take images`, "use claude, codex or gemini for prompts with images");
  if (paths.length > MAX_IMAGES) throw invalid(`${paths.length} images; at most ${MAX_IMAGES} go with one prompt`);
  return paths.map((given: string) => {
    const path = resolve(cwd, given);
    let size: number;
    try {
      const stat = statSync(path);
      if (!stat.isFile()) throw new Error("not a file");
      size = stat.size;
    } catch {
      throw invalid(`image ${given} is not a readable file`);
    }
    if (size > MAX_IMAGE_BYTES) throw invalid(`image ${given} is ${size} bytes, over the limit of ${MAX_IMAGE_BYTES}`);
    const mediaType = imageMediaType(readHead(path));
    if (!mediaType) throw invalid(`${given} is not a PNG, JPEG, GIF or WebP image`);
    return how === "inline" ? { path, mediaType, base64: readFileSync(path).toString("base64") } : { path, mediaType };
  });
}
