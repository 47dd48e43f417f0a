import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run-cli.js";

function envWith(config?: string, extra: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), "clinvk-cli-config-"));
  if (config !== undefined) writeFileSync(join(home, "config.yaml"), config);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: "/usr/bin:/bin", CLINVK_HOME: home, ...extra };
  for (const name of Object.keys(env))
    if (name.startsWith("CLINVK_") && !(name in extra) && name !== "CLINVK_HOME") delete env[name];
  return { env, home };
}

describe("clinvk reads its config", () => {
  it("default backend, model, extra flags and unified flags come from the file; flags win", async () => {
    const { env } = envWith(
      "default_backend: codex\nbackends:\n  codex:\n    model: o3\n    extra_flags: [--profile, work]\nunified_flags:\n  sandbox_mode: read-only\n",
    );
    const fromFile = await runCli(["--dry-run", "hi"], { env });
    expect(fromFile.stdout).toBe(
      "Would execute: codex exec --json --skip-git-repo-check --model=o3 -c 'sandbox_mode=\"read-only\"' --profile work -- hi\n",
    );
    const fromFlags = await runCli(["--dry-run", "-m", "gpt-5", "--sandbox-mode", "full", "hi"], { env });
    expect(fromFlags.stdout).toContain("--model=gpt-5 -c 'sandbox_mode=\"danger-full-access\"'");
  });

  it("the environment beats the file", async () => {
    const { env } = envWith("default_backend: codex\n", { CLINVK_DEFAULT_BACKEND: "gemini" });
    const run = await runCli(["--dry-run", "hi"], { env });
    expect(run.stdout).toMatch(/^Would execute: gemini /);
  });

  it("output.format sets the default output format", async () => {
    const { env } = envWith("output:\n  format: text\nunified_flags:\n  dry_run: true\n");
    const run = await runCli(["-b", "claude", "hi"], { env });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Would execute: claude -p /);
  });

  it("an invalid config exits 3 naming the file, line and key", async () => {
    const { env, home } = envWith("server:\n  port: high\n");
    const run = await runCli(["--dry-run", "hi"], { env });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`${join(home, "config.yaml")}:2: server.port: "high" is not allowed`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("--config that does not exist exits 3", async () => {
    const { env } = envWith();
    const run = await runCli(["--config", "/nonexistent/c.yaml", "--dry-run", "hi"], { env });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("/nonexistent/c.yaml does not exist");
  });
});

describe("clinvk config", () => {
  it("show prints YAML with secrets masked; --json; --sources", async () => {
    const { env, home } = envWith(
      "server:\n  api_keys: [sk-secret-1]\nbackends:\n  claude:\n    env:\n      ANTHROPIC_API_KEY: sk-ant\n      MODE: x\n",
    );
    const yaml = await runCli(["config", "show"], { env });
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toContain("port: 8080");
    expect(yaml.stdout).not.toContain("sk-secret-1");
    expect(yaml.stdout).not.toContain("sk-ant");
    expect(yaml.stdout).toContain("MODE: x");
    const json = JSON.parse((await runCli(["config", "show", "--json"], { env })).stdout);
    expect(json.server.api_keys).toEqual(["********"]);
    const sources = JSON.parse((await runCli(["config", "show", "--sources", "--json"], { env })).stdout);
    expect(sources["server.port"]).toEqual({ value: 8080, source: "default" });
    expect(sources["server.api_keys"].source).toBe(`${join(home, "config.yaml")}:2`);
  });

  it("CLINVK_ variables that name no key break nothing; config show --sources and doctor list them", async () => {
    const { env } = envWith(undefined, { CLINVK_BIN: "/opt/clinvk", CLINVK_SERVR_PORT: "9000" });
    const prompt = await runCli(["--dry-run", "-b", "codex", "hi"], { env });
    expect(prompt.code).toBe(0);
    const sources = await runCli(["config", "show", "--sources"], { env });
    expect(sources.code).toBe(0);
    expect(sources.stdout).toContain("server.port");
    expect(sources.stdout).toMatch(/Ignored environment variables[^\n]*\n {2}CLINVK_BIN\n/);
    expect(sources.stdout).toContain("CLINVK_SERVR_PORT  (did you mean CLINVK_SERVER_PORT?)");
    const doctor = await runCli(["doctor", "--json"], { env });
    expect(JSON.parse(doctor.stdout).ignored_env).toEqual([
      { variable: "CLINVK_BIN" },
      { variable: "CLINVK_SERVR_PORT", suggestion: "CLINVK_SERVER_PORT" },
    ]);
    expect((await runCli(["doctor"], { env })).stdout).toContain("CLINVK_SERVR_PORT  (did you mean");
  });
  it("set then get; set keeps comments; path; init", async () => {
    const { env, home } = envWith("# keep me\nserver:\n  port: 1\n");
    expect((await runCli(["config", "set", "server.port", "9000"], { env })).code).toBe(0);
    expect((await runCli(["config", "get", "server.port"], { env })).stdout).toBe("9000\n");
    expect(readFileSync(join(home, "config.yaml"), "utf8")).toContain("# keep me");
    expect((await runCli(["config", "path"], { env })).stdout).toBe(`${join(home, "config.yaml")}\n`);
    const refused = await runCli(["config", "init"], { env });
    expect(refused.code).toBe(3);
    expect((await runCli(["config", "init", "--force"], { env })).code).toBe(0);
    expect((await runCli(["config", "get", "server.port"], { env })).stdout).toBe("8080\n");
  });

  it("validate: 0 and valid for a good file, 3 naming the line and key for a bad one", async () => {
    const good = envWith("server:\n  port: 9000\n");
    const ok = await runCli(["config", "validate"], { env: good.env });
    expect(ok).toMatchObject({ code: 0, stdout: `${join(good.home, "config.yaml")}: valid\n` });
    const bad = await runCli(["config", "validate"], { env: envWith("server:\n  port: abc\n").env });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/config\.yaml:2: server\.port: "abc" is not allowed/);
  });

  it("set refuses an unknown key with a suggestion (exit 3)", async () => {
    const { env } = envWith();
    const run = await runCli(["config", "set", "sever.port", "1"], { env });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("did you mean server.port?");
  });
});
