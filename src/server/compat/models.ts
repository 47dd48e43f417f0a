/**
 * Which backend a model name of the OpenAI and Anthropic surfaces means. `backend/model` names both;
 * a bare model goes by its family (claude-*, gpt-*, gemini-*, ...) and reaches that CLI as given;
 * a bare backend name means its default model. Anything else is model_not_found: never a silent
 * fallback to some other backend.
 */
import { BACKEND_NAMES, type BackendName } from "../../backends/names.js";
import type { BackendRegistry } from "../../engine/registry.js";
import { CompatError } from "./errors.js";

export interface ModelRoute {
  backend: BackendName;
  /** Passed to the CLI (aliases such as `fast` are resolved by the engine); undefined: its default. */
  model?: string;
}

/** Models each backend is known to take; families route more (any claude-*, gpt-*, gemini-*). */
export const KNOWN_MODELS: Readonly<Record<BackendName, readonly string[]>> = {
  claude: ["sonnet", "opus", "haiku", "claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"],
  codex: ["gpt-5", "gpt-5-codex", "gpt-5-mini", "o3", "o4-mini", "codex-mini-latest"],
  gemini: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
};

/** Who makes each backend's models, for the `owned_by` of /models. */
export const OWNERS: Readonly<Record<BackendName, string>> = {
  claude: "anthropic",
  codex: "openai",
  gemini: "google",
};

const FAMILIES: ReadonlyArray<readonly [RegExp, BackendName]> = [
  [/^claude-/i, "claude"],
  [/^(sonnet|opus|haiku)$/i, "claude"],
  [/^gpt-/i, "codex"],
  [/^o3(-|$)/i, "codex"],
  [/^o4/i, "codex"],
  [/^codex/i, "codex"],
  [/^gemini-/i, "gemini"],
];

const isBackend = (name: string): name is BackendName => (BACKEND_NAMES as readonly string[]).includes(name);

export function modelNotFound(model: string): CompatError {
  return new CompatError(
    "model_not_found",
    `The model \`${model}\` does not exist. Name a backend and model (claude/sonnet, codex/gpt-5, gemini/gemini-2.5-pro), a model of a known family (claude-*, sonnet, opus, haiku, gpt-*, o3, o4*, codex*, gemini-*) or a backend (claude, codex, gemini); GET /models lists them.`,
    { param: "model", code: "model_not_found" },
  );
}

/** The backend and model that a surface's `model` field means; model_not_found otherwise. */
export function routeModel(model: string): ModelRoute {
  const name = model.trim();
  const slash = name.indexOf("/");
  if (slash >= 0) {
    const backend = name.slice(0, slash).toLowerCase();
    const rest = name.slice(slash + 1).trim();
    if (!isBackend(backend) || !rest) throw modelNotFound(model);
    return { backend, model: rest };
  }
  if (isBackend(name.toLowerCase())) return { backend: name.toLowerCase() as BackendName };
  for (const [pattern, backend] of FAMILIES) if (pattern.test(name)) return { backend, model: name };
  throw modelNotFound(model);
}

export interface CatalogEntry {
  id: string;
  backend: BackendName;
  owned_by: string;
}

/**
 * Every id that routes somewhere known: each backend by name, its known models bare and as
 * backend/model, and its aliases as backend/alias. Disabled backends are left out.
 */
export function modelCatalog(
  backends: ReadonlyArray<{ name: BackendName; aliases: readonly string[] }>,
): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  const seen = new Set<string>();
  const add = (id: string, backend: BackendName) => {
    if (seen.has(id)) return;
    seen.add(id);
    entries.push({ id, backend, owned_by: OWNERS[backend] });
  };
  for (const { name, aliases } of backends) {
    add(name, name);
    for (const model of KNOWN_MODELS[name]) add(model, name);
    for (const model of KNOWN_MODELS[name]) add(`${name}/${model}`, name);
    for (const alias of aliases) add(`${name}/${alias}`, name);
  }
  return entries;
}

/** The catalog of the registry's enabled backends. */
export function catalogOf(registry: BackendRegistry): CatalogEntry[] {
  return modelCatalog(
    registry
      .names()
      .filter((name) => registry.isEnabled(name))
      .map((name) => ({ name, aliases: Object.keys(registry.get(name).modelAliases) })),
  );
}
