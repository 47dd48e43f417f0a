/**
 * A CLI's config folder made private to one run (see ConfigOverlay): the user's entries linked in,
 * so that credentials are read and session files written where they always are, and the settings
 * file merged with the run's own keys (written owner-only: it may hold the tool server's token).
 */
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigOverlay } from "../backends/backend.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The user's settings with the run's keys; objects on both sides are merged one level deep. */
function merged(user: Json, run: Json): Json {
  const out: Json = { ...user };
  for (const [key, value] of Object.entries(run)) {
    const mine = out[key];
    out[key] = isObject(mine) && isObject(value) ? { ...mine, ...value } : value;
  }
  return out;
}

async function readSettings(path: string): Promise<Json> {
  try {
    const value = JSON.parse(await readFile(path, "utf8"));
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

/** Builds the overlay in `dir` and points the environment at it. */
export async function applyOverlay(overlay: ConfigOverlay, dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const home = env[overlay.homeVariable] || env.HOME || homedir();
  const real = join(home, overlay.folder);
  for (const folder of overlay.ensure) await mkdir(join(real, folder), { recursive: true, mode: 0o700 });
  const mine = join(dir, overlay.folder);
  await mkdir(mine, { mode: 0o700 });
  for (const entry of await readdir(real)) {
    if (entry !== overlay.settingsFile) await symlink(join(real, entry), join(mine, entry));
  }
  const settings = merged(await readSettings(join(real, overlay.settingsFile)), overlay.settings);
  await writeFile(join(mine, overlay.settingsFile), JSON.stringify(settings, null, 2), { mode: 0o600 });
  env[overlay.homeVariable] = dir;
}
