/** `GET /models` and `GET /models/{id}` as Anthropic answers them (one page holding every model). */
import { type CatalogEntry, modelNotFound, routeModel } from "../compat/models.js";

export function anthropicModel(id: string, createdAt: string) {
  return { type: "model" as const, id, display_name: id, created_at: createdAt };
}

export function anthropicModelList(catalog: readonly CatalogEntry[], createdAt: string) {
  const data = catalog.map((entry) => anthropicModel(entry.id, createdAt));
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}

/** A listed model, or any other id that routes to an enabled backend. */
export function anthropicModelById(
  id: string,
  catalog: readonly CatalogEntry[],
  createdAt: string,
  enabled: (backend: CatalogEntry["backend"]) => boolean,
) {
  if (catalog.some((entry) => entry.id === id) || enabled(routeModel(id).backend)) return anthropicModel(id, createdAt);
  throw modelNotFound(id);
}
