/** The backends clinvoker knows, in display order. */
export const BACKEND_NAMES = ["claude", "codex", "gemini"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}
