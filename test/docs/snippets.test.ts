import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith(".md") ? [path] : [];
  });
}

describe("the TypeScript examples in the docs", () => {
  it("type-check against the library", () => {
    const out = join(ROOT, ".cache", "doc-snippets");
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const files: string[] = [];
    for (const page of [join(ROOT, "README.md"), ...markdownFiles(join(ROOT, "docs"))]) {
      const text = readFileSync(page, "utf8");
      let n = 0;
      // Fenced examples, and imports quoted in prose (`import { Clinvoker } from "clinvoker"`).
      const inline = [...text.matchAll(/`(import \{[^`}]+\} from "clinvoker");?`/g)].map((m) => [m[0], `${m[1]};\n`]);
      for (const match of [...text.matchAll(/```ts\n([\s\S]*?)```/g), ...inline]) {
        const name = `${relative(ROOT, page).replace(/[^A-Za-z0-9]+/g, "_")}_${++n}.ts`;
        writeFileSync(join(out, name), `${match[1]}\nexport {};\n`);
        files.push(join(out, name));
      }
    }
    expect(files.length).toBeGreaterThan(3);
    const program = ts.createProgram(files, {
      target: ts.ScriptTarget.ES2023,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ["node"],
      baseUrl: ROOT,
      paths: { clinvoker: ["./src/index.ts"] },
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && files.includes(d.file.fileName))
      .map((d) => `${relative(out, d.file?.fileName ?? "")}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
    expect(problems).toEqual([]);
  }, 120_000);
});
