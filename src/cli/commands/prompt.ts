/** `clinvk [prompt]`: one prompt on one backend, continuing this directory's session if configured. */
import { resolve } from "node:path";
import { isBackendName } from "../../core/backend-names.js";
import type { RunRequest } from "../../core/request.js";
import { newestResumable, sessionRequest } from "../../engine/session-requests.js";
import { relativeAge } from "../../sessions/age.js";
import { cliContext } from "../context.js";
import { executeRun } from "../execute.js";
import { outputFormatOf, type RunFlags, runFlagsToRequest } from "../run-options.js";
import { combinePrompt, readPipedStdin, stdinIsPiped } from "../stdin.js";

export interface PromptFlags extends RunFlags {
  backend?: string;
  workdir?: string;
  ephemeral?: boolean;
  continue?: boolean;
  new?: boolean;
  config?: string;
}

export async function runPromptCommand(words: string[], flags: PromptFlags): Promise<number> {
  const { config, store, engine } = await cliContext(flags.config);
  const format = outputFormatOf(flags, config);
  const argument = words.join(" ").trim() || undefined;
  const piped = stdinIsPiped() ? await readPipedStdin({ optional: argument !== undefined }) : undefined;
  const backend = flags.backend?.trim().toLowerCase() || config.default_backend;
  const base: RunRequest = {
    ...runFlagsToRequest(flags, format),
    backend,
    prompt: combinePrompt(argument, piped),
    workdir: flags.workdir,
    ephemeral: flags.ephemeral,
  };

  let request = base;
  const workdir = resolve(flags.workdir ?? process.cwd());
  const autoResume = config.session.auto_resume && !flags.new && !flags.ephemeral;
  if ((flags.continue || autoResume) && isBackendName(backend)) {
    // -c without -b continues this directory's newest session of any backend.
    const explicitBackend = flags.backend !== undefined || !flags.continue;
    const session = await newestResumable(store, { backend: explicitBackend ? backend : undefined, workdir });
    if (session) {
      const full = await store.get(session.id);
      request = sessionRequest(full, base);
      process.stderr.write(
        `clinvk: continuing session ${session.id.slice(0, 8)} (${session.backend}, last used ${relativeAge(session.last_used)})${flags.continue ? "" : "; --new starts a new one"}\n`,
      );
    } else if (flags.continue) {
      process.stderr.write("clinvk: no session to continue in this directory; starting a new one\n");
    }
  }
  return executeRun(engine, request, format, config, flags.outputFormat !== undefined && format === "json");
}
