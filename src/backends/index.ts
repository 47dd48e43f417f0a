import type { BackendName } from "../core/events.js";
import type { Backend } from "./backend.js";
import { claude } from "./claude.js";
import { codex } from "./codex.js";
import { gemini } from "./gemini.js";

/** Every backend clinvoker knows, by name, in display order. */
export const BACKENDS: Readonly<Record<BackendName, Backend>> = { claude, codex, gemini };
