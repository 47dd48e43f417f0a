import { describe, expect, it } from "vitest";
import { colorEnabled } from "../../src/cli/color.js";
import { FAKE_CLI_DIR } from "../helpers.js";
import { runCli } from "./run-cli.js";

const tty = { isTTY: true };
const pipe = { isTTY: false };

describe("colour", () => {
  it("on a terminal by default; NO_COLOR turns it off, FORCE_COLOR on, output.color: false off", () => {
    expect(colorEnabled(tty, true, {})).toBe(true);
    expect(colorEnabled(pipe, true, {})).toBe(false);
    expect(colorEnabled(tty, false, {})).toBe(false);
    expect(colorEnabled(tty, true, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled(tty, true, { TERM: "dumb" })).toBe(false);
    expect(colorEnabled(pipe, true, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorEnabled(pipe, false, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorEnabled(pipe, true, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorEnabled(tty, true, { NO_COLOR: "1", FORCE_COLOR: "1" })).toBe(false);
  });

  it("the compare table's statuses and the warnings are coloured with FORCE_COLOR, plain without", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${FAKE_CLI_DIR}:${process.env.PATH}`,
      FAKE_CLI_MODE: "echo",
    };
    delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const args = ["compare", "--backends", "claude,gemini", "hi"];
    const forced = await runCli(args, { env: { ...env, FORCE_COLOR: "1" } });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain("\u001b[32mCOMPLETED");
    const plain = await runCli(args, { env });
    expect(plain.stdout).toMatch(/claude\s+COMPLETED/);
    expect(plain.stdout).not.toContain("\u001b[");
    const bad = await runCli(["-b", "nope", "hi"], { env: { ...env, FORCE_COLOR: "1" } });
    expect(bad.stderr).toContain("\u001b[31mclinvk:\u001b[39m unknown backend");
  });
});
