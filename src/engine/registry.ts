/**
 * Finds each backend's CLI (a configured path, else PATH) and its version. Lookups are cached for
 * 30 s so that a busy server does not search PATH or spawn `--version` for every request.
 */
import type { Backend } from "../backends/backend.js";
import { BACKENDS } from "../backends/index.js";
import { BACKEND_NAMES, type BackendName, isBackendName } from "../core/backend-names.js";
import { ClinvkError } from "../core/errors.js";
import { runProcess } from "../process/run-process.js";
import { findExecutable, npmInstallDirs } from "../process/which.js";
import type { VersionCache } from "./version-cache.js";

export interface BackendStatus {
  name: BackendName;
  displayName: string;
  available: boolean;
  enabled: boolean;
  path?: string;
  version?: string;
  /** Why it is not available, or why its version could not be read. */
  problem?: string;
  installHint: string;
}

export interface RegistryOptions {
  /** Configured executable paths by backend. */
  binaries?: Partial<Record<BackendName, string>>;
  disabled?: readonly BackendName[];
  /** PATH to search (default: this process's PATH). */
  path?: string;
  /** Searched after PATH (default: the usual npm install places, then ./node_modules/.bin). */
  fallbackDirs?: readonly string[];
  /** Environment for `--version` probes. */
  env?: NodeJS.ProcessEnv;
  /** Versions probed by earlier processes, by executable (version-cache.ts). */
  versionCache?: VersionCache;
  ttlMs?: number;
}

interface CacheEntry<T> {
  value: T;
  expires: number;
}

const VERSION_TIMEOUT_MS = 15_000;

export class BackendRegistry {
  private readonly ttlMs: number;
  private readonly located = new Map<BackendName, CacheEntry<string | undefined>>();
  private readonly versions = new Map<BackendName, CacheEntry<Promise<string | undefined>>>();
  private all: CacheEntry<Promise<BackendStatus[]>> | undefined;

  constructor(private readonly options: RegistryOptions = {}) {
    this.ttlMs = options.ttlMs ?? 30_000;
  }

  names(): BackendName[] {
    return [...BACKEND_NAMES];
  }

  /** The backend by name; `backend_unknown` for anything else. */
  get(name: string): Backend {
    if (!isBackendName(name)) {
      throw new ClinvkError("backend_unknown", `unknown backend "${name}"`, `use one of: ${BACKEND_NAMES.join(", ")}`);
    }
    return BACKENDS[name];
  }

  isEnabled(name: BackendName): boolean {
    return !this.options.disabled?.includes(name);
  }

  /** Path of the CLI's executable, or undefined when it cannot be found. Cached. */
  locate(name: BackendName): string | undefined {
    const now = Date.now();
    const cached = this.located.get(name);
    if (cached && cached.expires > now) return cached.value;
    const configured = this.options.binaries?.[name];
    const path = findExecutable(
      configured ?? BACKENDS[name].binary,
      this.options.path ?? process.env.PATH,
      configured ? [] : (this.options.fallbackDirs ?? npmInstallDirs()),
    );
    this.located.set(name, { value: path, expires: now + this.ttlMs });
    return path;
  }

  /** Throws `backend_unavailable` for a backend the configuration disables. */
  requireEnabled(name: BackendName): void {
    if (!this.isEnabled(name)) {
      throw new ClinvkError(
        "backend_unavailable",
        `backend "${name}" is disabled in the configuration`,
        `set backends.${name}.enabled to true to use it`,
      );
    }
  }

  /** Like locate, but throws `backend_unavailable` with the install hint. */
  require(name: BackendName): string {
    this.requireEnabled(name);
    const path = this.locate(name);
    if (path) return path;
    const configured = this.options.binaries?.[name];
    throw new ClinvkError(
      "backend_unavailable",
      configured
        ? `backend "${name}" is not available: ${configured} is not an executable file`
        : `backend "${name}" is not available: \`${BACKENDS[name].binary}\` was not found on PATH or in the usual npm install places`,
      configured ? `fix backends.${name}.binary in the config` : `install it with: ${BACKENDS[name].installHint}`,
    );
  }

  /** Availability, path and version of one backend. Cached like locate. */
  async status(name: BackendName): Promise<BackendStatus> {
    const backend = BACKENDS[name];
    const base = {
      name,
      displayName: backend.displayName,
      enabled: this.isEnabled(name),
      installHint: backend.installHint,
    };
    const path = this.locate(name);
    if (!path) {
      const configured = this.options.binaries?.[name];
      return {
        ...base,
        available: false,
        problem: configured ? `${configured} is not an executable file` : `\`${backend.binary}\` not found on PATH`,
      };
    }
    try {
      const version = await this.version(name, path);
      return version
        ? { ...base, available: true, path, version }
        : { ...base, available: true, path, problem: "could not read its version" };
    } catch (error) {
      return { ...base, available: true, path, problem: (error as Error).message };
    }
  }

  /** Every backend's status; the list itself is kept as long as its parts are (a busy /health). */
  statuses(): Promise<BackendStatus[]> {
    const now = Date.now();
    if (this.all && this.all.expires > now) return this.all.value;
    const value = Promise.all(this.names().map((name) => this.status(name)));
    this.all = { value, expires: now + this.ttlMs };
    return value;
  }

  private version(name: BackendName, path: string): Promise<string | undefined> {
    const now = Date.now();
    const cached = this.versions.get(name);
    if (cached && cached.expires > now) return cached.value;
    const value = this.probe(name, path);
    this.versions.set(name, { value, expires: now + this.ttlMs });
    return value;
  }

  private async probe(name: BackendName, path: string): Promise<string | undefined> {
    const known = this.options.versionCache?.lookup(path);
    if (known?.version) return known.version;
    const version = await probeVersion(BACKENDS[name], path, this.options.env ?? process.env);
    if (version) known?.keep(version);
    return version;
  }
}

async function probeVersion(backend: Backend, path: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const lines: string[] = [];
  const run = runProcess(
    { command: path, args: backend.versionArgs, cwd: process.cwd(), env },
    { timeoutMs: VERSION_TIMEOUT_MS, killGraceMs: 500 },
  );
  while (true) {
    const step = await run.next();
    if (step.done) {
      if (step.value.reason === "timeout") throw new Error(`\`${path} --version\` did not answer`);
      return backend.parseVersion(lines.join("\n")) ?? backend.parseVersion(step.value.stderr);
    }
    if (step.value.kind === "line") lines.push(step.value.line);
  }
}
