/**
 * What a network client may ask of a run, judged by the engine once the run is resolved and before
 * anything spawns, so that every route (prompts, resumes, workflows, the compatible APIs) gets it:
 * modes that switch approvals or the sandbox off, tool grants, agents, and the directory the CLI
 * runs in, whatever named it (the request, a session it continues, a flag).
 */
import { isAbsolute } from "node:path";
import { type FlagGrant, flagGrants, toolList } from "../../backends/extra-flags.js";
import type { Config } from "../../config/schema.js";
import { ClinvkError } from "../../core/errors.js";
import type { RunRequest } from "../../core/request.js";
import type { RunGuard } from "../../engine/prepare.js";
import { checkWorkdir } from "./workdir.js";

type ServerConfig = Config["server"];

const refuse = (message: string, hint?: string) => new ClinvkError("invalid_request", message, hint);
const DANGEROUS_HINT = "the server's admin can allow it with server.allow_dangerous_modes: true";

function checkModes(request: RunRequest, server: ServerConfig): void {
  if (server.allow_dangerous_modes) return;
  if (request.approvalMode === "none")
    throw refuse("approval_mode none is not allowed from the network", DANGEROUS_HINT);
  if (request.sandboxMode === "full") throw refuse("sandbox_mode full is not allowed from the network", DANGEROUS_HINT);
}

/** A tool may be granted from the network only when the server lists it (or lists "*"). */
function checkTools(tools: readonly string[], server: ServerConfig, via: string): void {
  const grantable = server.grantable_tools;
  if (grantable.includes("*")) return;
  const refused = tools.filter((tool) => !grantable.includes(tool));
  if (refused.length === 0) return;
  throw refuse(
    `${via} may not grant ${refused.join(", ")} from the network`,
    grantable.length
      ? `the server lets requests grant: ${grantable.join(", ")}`
      : "the server's admin can list tools that requests may grant in server.grantable_tools",
  );
}

function checkGrant(grant: FlagGrant, server: ServerConfig, checkDir: (path: string) => string): void {
  switch (grant.effect) {
    case "mode":
    case "agent":
      if (server.allow_dangerous_modes) return;
      throw refuse(
        `extra flag ${grant.name} is not allowed from the network`,
        grant.effect === "mode"
          ? "use approval_mode and sandbox_mode; the server's admin can allow more with server.allow_dangerous_modes"
          : "an agent brings its own tools and permissions; the server's admin can allow it with server.allow_dangerous_modes",
      );
    case "tools":
      checkTools(toolList(grant.value ?? ""), server, `extra flag ${grant.name}`);
      return;
    case "directory":
      checkDir(grant.value ?? "");
      return;
  }
}

export function networkRunGuard(config: () => Config): RunGuard {
  return (request, { backend, cwd, allowedDirs }) => {
    const server = config().server;
    const policy = { allowed: server.allowed_workdir_prefixes, blocked: server.blocked_workdir_prefixes };
    const checkDir = (path: string) => checkWorkdir(path, policy);
    for (const given of [request.workdir, ...(request.allowedDirs ?? [])]) {
      if (given !== undefined && !isAbsolute(given)) throw refuse(`workdir must be an absolute path, not "${given}"`);
    }
    checkModes(request, server);
    if (request.allowedTools?.length) checkTools(request.allowedTools, server, "allowed_tools");
    for (const grant of flagGrants(request.extraFlags ?? [], backend.extraFlags)) checkGrant(grant, server, checkDir);
    for (const dir of allowedDirs) checkDir(dir);
    return checkDir(cwd);
  };
}
