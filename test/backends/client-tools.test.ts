// Each backend's wiring of a run's client-tool server: what the CLI gets, and that the token stays out of argv.
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ClientToolServer } from "../../src/backends/backend.js";
import { claude } from "../../src/backends/claude.js";
import { codex } from "../../src/backends/codex.js";
import { gemini } from "../../src/backends/gemini.js";
import { applyOverlay } from "../../src/engine/config-overlay.js";
import { baseInvocation as base } from "./invocation.js";

const TOKEN = "f".repeat(64);
const server = (keepBuiltins = false): ClientToolServer => ({
  name: "clinvk",
  url: "http://127.0.0.1:4000/mcp/0123456789abcdef",
  token: TOKEN,
  tools: ["get_weather"],
  keepBuiltins,
  configDir: "/run/x",
});

describe("client tools on each CLI", () => {
  it("claude: an owner-only MCP config file, its tools allowed, its own tools off", () => {
    const invocation = claude.buildInvocation({ ...base, allowedTools: ["Read"], clientTools: server() });
    expect(invocation.args).toEqual(
      expect.arrayContaining([
        "--allowedTools=Read,mcp__clinvk",
        "--mcp-config=/run/x/mcp.json",
        "--strict-mcp-config",
        "--tools=",
      ]),
    );
    expect(JSON.parse(invocation.files?.[0]?.content ?? "{}").mcpServers.clinvk).toMatchObject({
      type: "http",
      url: server().url,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(invocation.env).toEqual({ CLAUDE_CODE_MCP_TOOL_IDLE_TIMEOUT: "0" });
    expect(invocation.args.join(" ")).not.toContain(TOKEN);
    const kept = claude.buildInvocation({ ...base, clientTools: server(true) }).args;
    expect(kept).not.toContain("--tools=");
    expect(kept).not.toContain("--strict-mcp-config");
  });

  it("codex: mcp_servers overrides with the token from the environment, direct calls, features off", () => {
    const invocation = codex.buildInvocation({ ...base, clientTools: server() });
    const overrides = invocation.args.filter((_, i) => invocation.args[i - 1] === "-c");
    expect(overrides).toEqual(
      expect.arrayContaining([
        `mcp_servers.clinvk.url="${server().url}"`,
        'mcp_servers.clinvk.bearer_token_env_var="CLINVK_TOOL_TOKEN"',
        'mcp_servers.clinvk.default_tools_approval_mode="approve"',
        'features.code_mode.direct_only_tool_namespaces=["mcp__clinvk"]',
        "features.shell_tool=false",
        'web_search="disabled"',
      ]),
    );
    expect(invocation.env).toEqual({ CLINVK_TOOL_TOKEN: TOKEN });
    expect(invocation.args.join(" ")).not.toContain(TOKEN);
    expect(codex.buildInvocation({ ...base, clientTools: server(true) }).args).not.toContain(
      "features.shell_tool=false",
    );
  });

  it("gemini: its settings in a private home, only the client's tools, only our server", () => {
    const invocation = gemini.buildInvocation({ ...base, clientTools: server() });
    expect(invocation.args).toContain("--allowed-mcp-server-names=clinvk");
    expect(invocation.overlay).toMatchObject({
      homeVariable: "GEMINI_CLI_HOME",
      folder: ".gemini",
      settings: {
        mcpServers: { clinvk: { httpUrl: server().url, trust: true, headers: { Authorization: `Bearer ${TOKEN}` } } },
        tools: { core: ["mcp_clinvk_get_weather"] },
      },
    });
    expect(invocation.args.join(" ")).not.toContain(TOKEN);
  });
});

describe("a config overlay", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("links the user's entries, merges the settings over the user's, and points the home at itself", async () => {
    const home = mkdtempSync(join(tmpdir(), "home-"));
    const run = mkdtempSync(join(tmpdir(), "run-"));
    dirs.push(home, run);
    mkdirSync(join(home, ".gemini"));
    writeFileSync(join(home, ".gemini", "oauth_creds.json"), "{}");
    writeFileSync(
      join(home, ".gemini", "settings.json"),
      JSON.stringify({ theme: "dark", mcpServers: { mine: { command: "x" } }, tools: { sandbox: true } }),
    );
    const env: NodeJS.ProcessEnv = { HOME: home };
    await applyOverlay(
      {
        homeVariable: "GEMINI_CLI_HOME",
        folder: ".gemini",
        settingsFile: "settings.json",
        ensure: ["tmp"],
        settings: { mcpServers: { clinvk: { httpUrl: "u" } }, tools: { core: ["t"] } },
      },
      run,
      env,
    );
    expect(env.GEMINI_CLI_HOME).toBe(run);
    expect(readlinkSync(join(run, ".gemini", "oauth_creds.json"))).toBe(join(home, ".gemini", "oauth_creds.json"));
    expect(readlinkSync(join(run, ".gemini", "tmp"))).toBe(join(home, ".gemini", "tmp"));
    expect(JSON.parse(readFileSync(join(run, ".gemini", "settings.json"), "utf8"))).toEqual({
      theme: "dark",
      mcpServers: { mine: { command: "x" }, clinvk: { httpUrl: "u" } },
      tools: { sandbox: true, core: ["t"] },
    });
  });
});
