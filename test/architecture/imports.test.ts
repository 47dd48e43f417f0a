/**
 * The picture of docs/concepts/architecture.md, kept true: imports point down the layers, and no
 * module imports itself back through others (a cycle makes two modules one concept in two files).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers.js";

const SRC = join(ROOT, "src");

/** Each top folder of src/ and its layer: a module may import its own folder and lower layers only. */
const LAYERS: Record<string, number> = {
  core: 0,
  "version.ts": 0,
  backends: 1,
  process: 1,
  config: 1,
  sessions: 1,
  engine: 2,
  workflows: 3,
  cli: 4,
  server: 4,
  sdk: 4,
  mcp: 4,
};

/** Faces may not import each other, but where one starts another: `clinvk serve` and `clinvk mcp`, /mcp. */
const FACE_STARTS: ReadonlyArray<[string, string]> = [
  ["cli", "server"],
  ["cli", "mcp"],
  ["server", "mcp"],
];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|import\("(\.[^"]+)"\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((m) =>
    resolve(dirname(file), (m[1] ?? m[2]) as string).replace(/\.js$/, ".ts"),
  );
}

const top = (file: string) => relative(SRC, file).split("/")[0] as string;
const files = sources(SRC).filter((file) => relative(SRC, file) !== "index.ts"); // the package's root re-exports
const graph = new Map(files.map((file) => [file, importsOf(file)]));

describe("imports point down", () => {
  it("every folder of src/ has a layer", () => {
    expect(readdirSync(SRC).filter((name) => name !== "index.ts" && LAYERS[name] === undefined)).toEqual([]);
  });

  it("no module imports a higher layer, and no face another (but where one starts another)", () => {
    const upward: string[] = [];
    for (const [file, imports] of graph) {
      const from = top(file);
      for (const target of imports) {
        const to = top(target);
        if (to === from) continue;
        const allowed =
          (LAYERS[to] as number) < (LAYERS[from] as number) || FACE_STARTS.some(([a, b]) => a === from && b === to);
        if (!allowed) upward.push(`${relative(SRC, file)} → ${relative(SRC, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("no import cycles", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push(
          stack
            .slice(stack.indexOf(file))
            .concat(file)
            .map((f) => relative(SRC, f))
            .join(" → "),
        );
        return;
      }
      state.set(file, "visiting");
      stack.push(file);
      for (const target of graph.get(file) ?? []) if (graph.has(target)) visit(target);
      stack.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file);
    expect(cycles).toEqual([]);
  });
});
