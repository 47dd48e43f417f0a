/**
 * Which directories a network client may run a CLI in: an absolute, existing directory (symlinks
 * resolved, so a link cannot smuggle a blocked path in), never under a blocked prefix, and under an
 * allowed prefix when any are configured.
 */
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, sep } from "node:path";
import { ClinvkError } from "../../core/errors.js";

/** Always blocked, whatever the config adds. */
export const BUILTIN_BLOCKED = [
  "/etc",
  "/var/run",
  "/var/lock",
  "/root",
  "/sys",
  "/proc",
  "/dev",
  "/boot",
  "/bin",
  "/sbin",
  "/lib",
  "/lib64",
  "/usr/bin",
  "/usr/sbin",
  "/usr/lib",
  "/usr/lib64",
];

/**
 * Directories that hold everybody's things: refused themselves (an agent there reaches all of it),
 * while folders below them stay allowed (a project in /home/me, /srv/app or /tmp/x).
 */
export const BUILTIN_BLOCKED_ROOTS = ["/", "/usr", "/var", "/home", "/opt", "/srv", "/mnt", "/media", "/run", "/tmp"];

const within = (path: string, prefix: string) => {
  const base = prefix.length > 1 ? prefix.replace(/\/+$/, "") : prefix;
  return path === base || path.startsWith(base === sep ? base : `${base}${sep}`);
};

export function checkWorkdir(path: string, policy: { allowed: readonly string[]; blocked: readonly string[] }): string {
  const refuse = (message: string, hint?: string) => new ClinvkError("invalid_request", message, hint);
  if (!isAbsolute(path)) throw refuse(`workdir must be an absolute path, not "${path}"`);
  if (path.includes("\0")) throw refuse("workdir contains a NUL character");
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw refuse(`workdir ${path} does not exist`);
  }
  if (!statSync(real).isDirectory()) throw refuse(`workdir ${path} is not a directory`);
  if (BUILTIN_BLOCKED_ROOTS.includes(real)) {
    throw refuse(`workdir ${path} is not allowed (${real} holds everybody's files)`, "give a project folder below it");
  }
  const blocked = [...BUILTIN_BLOCKED, ...policy.blocked].find((prefix) => within(real, prefix));
  if (blocked) throw refuse(`workdir ${path} is not allowed (under ${blocked})`);
  if (policy.allowed.length > 0 && !policy.allowed.some((prefix) => within(real, prefix))) {
    throw refuse(`workdir ${path} is not allowed`, `the server allows: ${policy.allowed.join(", ")}`);
  }
  return real;
}
