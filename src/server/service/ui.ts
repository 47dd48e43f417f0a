/**
 * The dashboard at /ui: the static files that `npm run build` puts in dist/ui, read once at start
 * and served with a strict Content-Security-Policy (only this origin's script, style and API; no
 * inline code, no frames, nothing from elsewhere). The files hold no secret, so they are served
 * without an API key; the page asks for the key and sends it with every API call it makes.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import { apiError } from "../http/errors.js";

export const UI_PREFIX = "/ui";

/** Whether a request path is one of the dashboard's files (which need no key). */
export function isUiPath(path: string): boolean {
  return path === UI_PREFIX || path.startsWith(`${UI_PREFIX}/`);
}

export const UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
};

/**
 * The built dashboard: `ui/` beside the bundle (dist/ui next to dist/clinvk.cjs), else the package's
 * dist/ui (running from src/ in development).
 */
export function defaultUiDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "ui"), join(dirname(here), "ui")];
  for (let dir = here, i = 0; i < 6; i++, dir = dirname(dir))
    if (existsSync(join(dir, "package.json"))) {
      candidates.push(join(dir, "dist", "ui"));
      break;
    }
  return candidates.find((dir) => existsSync(join(dir, "index.html"))) ?? (candidates.at(-1) as string);
}

function readUi(directory: string): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  if (!existsSync(directory)) return files;
  for (const name of readdirSync(directory)) {
    const type = TYPES[name.split(".").pop() ?? ""];
    if (!type || !/^[a-z0-9-]+\.[a-z]+$/.test(name)) continue;
    files.set(name, { body: readFileSync(join(directory, name)), type });
  }
  return files;
}

function secure(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-security-policy", UI_CSP)
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer")
    .header("x-frame-options", "DENY")
    .header("cross-origin-opener-policy", "same-origin")
    .header("cache-control", "no-cache");
}

export function uiRoutes(directory = defaultUiDirectory()) {
  return (app: FastifyInstance): void => {
    const files = readUi(directory);
    const send = (reply: FastifyReply, name: string) => {
      const file = files.get(name);
      if (!file) {
        const message = files.size
          ? `no file ${name} in the dashboard`
          : "the dashboard is not built: run npm run build (it writes dist/ui)";
        return secure(reply).status(404).send(apiError("not_found", message));
      }
      return secure(reply).type(file.type).send(file.body);
    };
    const hide = { schema: { hide: true } };
    app.get(UI_PREFIX, hide, (_request, reply) => reply.redirect(`${UI_PREFIX}/`));
    app.get(`${UI_PREFIX}/`, hide, (_request, reply) => send(reply, "index.html"));
    app.get(`${UI_PREFIX}/:file`, hide, (request, reply) => send(reply, (request.params as { file: string }).file));
  };
}
