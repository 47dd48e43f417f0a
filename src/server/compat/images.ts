/**
 * Images on the compatible APIs: chat completions' `image_url` parts with a data URL, the Responses
 * API's `input_image` parts, Anthropic's base64 `image` blocks. The images of the newest user message
 * are taken out of the request (its text goes on as before) and written to private temporary files
 * for the run (the engine checks them and hands them to the CLI its own way), removed after it. Only
 * inline images: clinvoker fetches no URL for a client. Images of earlier turns are already in the
 * CLI's session when it continues one; a new session gets their text only.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_IMAGE_BYTES, MAX_IMAGES } from "../../engine/images.js";
import { invalidValue } from "./errors.js";

export interface InlineImage {
  mediaType: string;
  data: Buffer;
}

const MEDIA_TYPES: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
};
const DATA_URL = /^data:(image\/[a-z+.-]+);base64,(.*)$/is;

type Part = Record<string, unknown>;
type Message = { role?: unknown; content?: unknown };

function decoded(mediaType: string, base64: string, param: string): InlineImage {
  const type = mediaType.toLowerCase();
  if (!MEDIA_TYPES[type])
    throw invalidValue(param, `images of type ${mediaType} are not supported: use PNG, JPEG, GIF or WebP`);
  if (base64.length > Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4) {
    throw invalidValue(param, `the image is over the limit of ${MAX_IMAGE_BYTES} bytes`);
  }
  return { mediaType: type, data: Buffer.from(base64, "base64") };
}

function fromDataUrl(url: unknown, param: string): InlineImage {
  const match = typeof url === "string" ? DATA_URL.exec(url) : null;
  if (!match) {
    throw invalidValue(param, "only data URLs (data:image/png;base64,...) are supported: clinvoker fetches no URL");
  }
  return decoded(match[1] as string, match[2] as string, param);
}

/** Takes the image parts out of the newest user message; `read` turns one part into an image, or undefined. */
function takeImages<M extends Message>(
  messages: readonly M[],
  param: (index: number, part: number) => string,
  read: (part: Part, where: string) => InlineImage | undefined,
): { messages: M[]; images: InlineImage[] } {
  const last = messages.findLastIndex((message) => message.role === "user");
  const images: InlineImage[] = [];
  const out = messages.map((message, index) => {
    if (!Array.isArray(message.content)) return message;
    const kept = (message.content as Part[]).filter((part, at) => {
      const image = read(part, param(index, at));
      if (!image) return true;
      if (index === last) images.push(image);
      return false;
    });
    return kept.length === message.content.length ? message : { ...message, content: kept };
  });
  if (images.length > MAX_IMAGES) {
    throw invalidValue(
      param(last, 0).replace(/\[\d+\]$|\.\d+$/, ""),
      `at most ${MAX_IMAGES} images go with one message`,
    );
  }
  return { messages: out, images };
}

/** Chat completions: `{type: "image_url", image_url: {url: "data:..."}}` parts. */
export function chatImages<M extends Message>(messages: readonly M[]) {
  return takeImages(
    messages,
    (index, part) => `messages[${index}].content[${part}]`,
    (part, where) =>
      part.type === "image_url"
        ? fromDataUrl((part.image_url as { url?: unknown } | undefined)?.url ?? part.image_url, `${where}.image_url`)
        : undefined,
  );
}

/** Responses: `{type: "input_image", image_url: "data:..."}` parts of input messages. */
export function responsesImages<M extends Message>(items: readonly M[]) {
  return takeImages(
    items,
    (index, part) => `input[${index}].content[${part}]`,
    (part, where) => {
      if (part.type !== "input_image") return undefined;
      if (part.file_id !== undefined && part.image_url === undefined) {
        throw invalidValue(`${where}.file_id`, "uploaded files are not supported: send the image as a data URL");
      }
      return fromDataUrl(part.image_url, `${where}.image_url`);
    },
  );
}

/** Anthropic: `{type: "image", source: {type: "base64", media_type, data}}` blocks. */
export function messagesImages<M extends Message>(messages: readonly M[]) {
  return takeImages(
    messages,
    (index, part) => `messages.${index}.content.${part}`,
    (part, where) => {
      if (part.type !== "image") return undefined;
      const source = (part.source ?? {}) as { type?: unknown; media_type?: unknown; data?: unknown };
      if (source.type !== "base64" || typeof source.data !== "string" || typeof source.media_type !== "string") {
        throw invalidValue(`${where}.source`, "only base64 image sources are supported: clinvoker fetches no URL");
      }
      return decoded(source.media_type, source.data, `${where}.source`);
    },
  );
}

export interface StagedImages {
  paths: string[];
  remove(): Promise<void>;
}

/** The images as private temporary files, for one run. */
export async function stageImages(images: readonly InlineImage[]): Promise<StagedImages> {
  if (images.length === 0) return { paths: [], remove: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), "clinvk-images-"));
  const paths: string[] = [];
  try {
    for (const image of images) {
      const path = join(dir, `${randomBytes(8).toString("hex")}.${MEDIA_TYPES[image.mediaType]}`);
      await writeFile(path, image.data, { mode: 0o600 });
      paths.push(path);
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { paths, remove: () => rm(dir, { recursive: true, force: true }) };
}
