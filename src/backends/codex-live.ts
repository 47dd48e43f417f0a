/**
 * codex's live mode: one `codex app-server` process, driven over stdio by JSON-RPC (one object a
 * line, no `"jsonrpc"` field). Recorded with codex 0.169.0 in test/fixtures/cli-output/codex-live.
 * The process's config overrides (`-c`) are the one-shot's; what app-server takes per thread (the
 * cwd, approval policy, sandbox, model) goes into `thread/start` / `thread/resume` (codec.ts).
 */

import type { Invocation } from "./backend.js";
import { codexClientTools, codexInstructions, SANDBOX, tomlString } from "./codex-config.js";
import { CodexLiveCodec } from "./codex-live-codec.js";
import type { LiveLaunchOptions, LiveProtocol } from "./live-protocol.js";

export const codexLive: LiveProtocol = {
  capabilities: { interrupt: true, permissions: true, resume: "any", streaming: true },
  minVersion: "0.169.0",

  launch(options: LiveLaunchOptions): Invocation {
    const args = ["app-server"];
    const warnings: string[] = [];
    codexInstructions(options, args, warnings);
    const settings = liveExtraFlags(options.extraFlags, warnings);
    const dirs = [...options.allowedDirs, ...settings.dirs];
    // exec's --add-dir, as config: the sandbox's writable roots.
    if (dirs.length) args.push("-c", `sandbox_workspace_write.writable_roots=[${dirs.map(tomlString).join(",")}]`);
    if (options.forkSession) warnings.push("codex live mode does not fork; the session is resumed as it is");
    const env = options.clientTools && codexClientTools(options.clientTools, args);
    return { args, warnings, env };
  },

  connect(options: LiveLaunchOptions) {
    const settings = liveExtraFlags(options.extraFlags, []);
    return new CodexLiveCodec({
      ...options,
      model: settings.model ?? options.model,
      ephemeral: settings.ephemeral ?? options.ephemeral,
      sandbox: settings.sandbox ?? (options.sandboxMode === "default" ? undefined : SANDBOX[options.sandboxMode]),
    });
  },
};

interface LiveFlagSettings {
  model?: string;
  sandbox?: string;
  ephemeral?: boolean;
  dirs: string[];
}

/**
 * The one-shot's extra flags (already checked against `codex.extraFlags`) as app-server takes
 * them: it has none of exec's flags, so the model, sandbox and ephemeral go into the thread, added
 * directories into the config, and the rest is said not to apply.
 */
function liveExtraFlags(tokens: readonly string[], warnings: string[]): LiveFlagSettings {
  const settings: LiveFlagSettings = { dirs: [] };
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as string;
    const eq = token.indexOf("=");
    const name = eq === -1 ? token : token.slice(0, eq);
    const value = () => (eq === -1 ? tokens[++index] : token.slice(eq + 1));
    switch (name) {
      case "--model":
      case "-m":
        settings.model = value();
        break;
      case "--sandbox":
      case "-s":
        settings.sandbox = value();
        break;
      case "--add-dir": {
        const dir = value();
        if (dir) settings.dirs.push(dir);
        break;
      }
      case "--ephemeral":
        settings.ephemeral = true;
        break;
      case "--skip-git-repo-check":
        break; // app-server has no git check
      default:
        if (name === "--profile" || name === "-p") value();
        warnings.push(`codex live mode has no ${name} flag; it is not applied`);
    }
  }
  return settings;
}
