/**
 * Which backend a model name of the OpenAI and Anthropic surfaces means. `backend/model` names both;
 * a bare model goes by its family (claude-*, gpt-*, gemini-*, ...) and reaches that CLI as given;
 * a bare backend name means its default model. Anything else is model_not_found: never a silent
 * fallback to some other backend.
 */
import { BACKENDS } from "../../backends/index.js";
import { BACKEND_NAMES, type BackendName } from "../../core/backend-names.js";
import { isBackendName } from "../../core/events.js";
import type { BackendRegistry } from "../../engine/registry.js";
import { CompatError } from "./errors.js";

export interface ModelRoute {
  backend: BackendName;
  /** Passed to the CLI (aliases such as `fast` are resolved by the engine); undefined: its default. */
  model?: string;
}

/** Who makes each backend's models, for the `owned_by` of /models. */
export const OWNERS = Object.fromEntries(BACKEND_NAMES.map((name) => [name, BACKENDS[name].models.vendor])) as Readonly<
  Record<BackendName, string>
>;

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
    if (!isBackendName(backend) || !rest) throw modelNotFound(model);
    return { backend, model: rest };
  }
  if (isBackendName(name.toLowerCase())) return { backend: name.toLowerCase() as BackendName };
  const family = BACKEND_NAMES.find((backend) => BACKENDS[backend].models.families.some((p) => p.test(name)));
  if (family) return { backend: family, model: name };
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
    for (const model of BACKENDS[name].models.known) add(model, name);
    for (const model of BACKENDS[name].models.known) add(`${name}/${model}`, name);
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
