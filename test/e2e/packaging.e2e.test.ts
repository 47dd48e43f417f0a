// biome-ignore-all lint/suspicious/noExplicitAny: npm's and clinvk's JSON output are read loosely.
// Packaging, as a user meets it: `npm pack` (which builds through `prepare`), then `npm install -g` of the
// tarball into a scratch prefix. The tarball holds only what runs; the installed `clinvk` starts through its
// bin link, shows --help, and runs a prompt on the real claude CLI; the library imports from the install.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliSandbox, prepareCliSandbox, REPO_ROOT } from "./cli-env.js";
import { describeRun, RUN_TIMEOUT_MS, runDir } from "./clinvk-bin.js";
import { runInSandbox } from "./run-cli.js";
import { type ProviderStub, startProviderStub } from "./stub/index.js";

const VERSION = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).version as string;
const npm = (args: string[], cwd = REPO_ROOT) =>
  execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });

let scratch: string;
let packed: { filename: string; files: { path: string }[] };
let stub: ProviderStub;
let sb: CliSandbox;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "clinvk-pack-"));
  [packed] = JSON.parse(npm(["pack", "--json", "--pack-destination", scratch]));
  npm([
    "install",
    "--global",
    "--prefix",
    join(scratch, "prefix"),
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    join(scratch, packed.filename),
  ]);
  stub = await startProviderStub();
  sb = prepareCliSandbox("claude", stub.url);
}, 600_000);

afterAll(async () => {
  sb?.cleanup();
  await stub?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe("npm pack and npm install -g", () => {
  it("the tarball holds only what runs: the bundle, the library with its types, the dashboard, the event schema", () => {
    const paths = packed.files.map((file) => file.path);
    const outside = paths.filter((path) => !/^(dist\/|schema\/|package\.json$|README\.md$|LICENSE$)/.test(path));
    expect(outside).toEqual([]);
    expect(paths).toEqual(
      expect.arrayContaining([
        "dist/cli.cjs",
        "dist/clinvk.cjs",
        "dist/lib/index.js",
        "dist/lib/index.d.ts",
        "dist/ui/index.html",
        "dist/ui/app.js",
        "dist/ui/app.css",
        "schema/run-event.schema.json",
      ]),
    );
    expect(paths.filter((path) => /\.test\.|\.map$|^src\//.test(path))).toEqual([]);
  });

  it("the installed clinvk starts through its bin link, explains itself, and runs a prompt on claude", async () => {
    const clinvk = join(scratch, "prefix", "bin", "clinvk");
    const dir = runDir(sb);
    const run = (args: string[]) => runInSandbox(sb, clinvk, args, { cwd: dir, timeoutMs: RUN_TIMEOUT_MS });
    const version = await run(["--version"]);
    expect(version.stdout.trim(), describeRun(version)).toContain(VERSION);
    const help = await run(["--help"]);
    expect(help.code, describeRun(help)).toBe(0);
    expect(help.stdout).toMatch(/Examples?:/);
    stub.script({ text: "installed and answering" });
    const prompt = await run(["-b", "claude", "-o", "json", "--ephemeral", "are you installed?"]);
    expect(prompt.code, describeRun(prompt)).toBe(0);
    expect(JSON.parse(prompt.stdout)).toMatchObject({ backend: "claude", content: "installed and answering" });
  });

  it("the library imports from the installed package, with its version", async () => {
    const entry = join(scratch, "prefix", "lib", "node_modules", "clinvoker", "dist", "lib", "index.js");
    const library: any = await import(pathToFileURL(entry).href);
    expect(typeof library.Clinvoker).toBe("function");
    expect(library.VERSION).toBe(VERSION);
  });
});
