/** `GET /models` and `GET /models/{id}` as OpenAI answers them. */
import { type CatalogEntry, modelNotFound, routeModel } from "../compat/models.js";

export function openaiModel(entry: Pick<CatalogEntry, "id" | "owned_by">, created: number) {
  return { id: entry.id, object: "model" as const, created, owned_by: entry.owned_by };
}

export function openaiModelList(catalog: readonly CatalogEntry[], created: number) {
  return { object: "list" as const, data: catalog.map((entry) => openaiModel(entry, created)) };
}

/** A listed model, or any other id that routes to an enabled backend (claude-opus-4-1-2025...). */
export function openaiModelById(
  id: string,
  catalog: readonly CatalogEntry[],
  created: number,
  owner: (backend: CatalogEntry["backend"]) => string | undefined,
) {
  const listed = catalog.find((entry) => entry.id === id);
  if (listed) return openaiModel(listed, created);
  const owned_by = owner(routeModel(id).backend);
  if (!owned_by) throw modelNotFound(id);
  return openaiModel({ id, owned_by }, created);
}
