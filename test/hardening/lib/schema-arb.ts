/**
 * fast-check arbitraries for hostile input: values that follow a JSON schema (as /openapi.json publishes it) most
 * of the time and break it some of the time, at every depth, with strings that attack paths, flags, shells,
 * templates, encodings and sizes.
 */
import fc from "fast-check";

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  minimum?: number;
  maximum?: number;
};

/** Strings chosen to hurt: traversal, flags, NULs, shells, templates, odd Unicode, sizes. */
export const NASTY_STRINGS = [
  "",
  " ",
  "-",
  "--",
  "-p",
  "--help",
  "--version",
  "--dangerously-skip-permissions",
  "--permission-mode=bypassPermissions",
  "--yolo",
  "-c sandbox_mode=danger-full-access",
  "--model=--x",
  "../../../../etc/passwd",
  "..%2f..%2f..%2fetc%2fpasswd",
  "/etc",
  "/proc/self/environ",
  "/",
  ".",
  "..",
  "~",
  "a\u0000b",
  "\u0000",
  "$(id)",
  "`id`",
  "'; rm -rf / #",
  "{{tasks.x.output}}",
  "{{previous}}{{steps.a.output}}",
  "%s%s%s%n",
  "\r\nX-Injected: 1",
  "\u202e\u0301\ufeff",
  "\ud800",
  "🙂".repeat(50),
  "__proto__",
  "constructor",
  "claude/--dangerously-skip-permissions",
  "codex/-c",
  "0".repeat(40),
  "A".repeat(70_000),
] as const;

export const nastyString = (): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
    { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
    { arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }), weight: 1 },
  );

const nastyNumber = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.integer({ min: -5, max: 2000 }),
    fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 2 ** 31, 1e-9, 0.5, Number.MAX_SAFE_INTEGER),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );

/** Any JSON value, including shapes no schema expects. */
export const wildJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 4 },
    { arbitrary: nastyString(), weight: 2 },
    { arbitrary: nastyNumber(), weight: 1 },
    {
      arbitrary: fc.constantFrom(null, true, false, [], {}, [null], JSON.parse('{"__proto__":{"polluted":1}}')),
      weight: 1,
    },
  );

export interface SchemaOptions {
  /** Weight of "something else entirely" at each node, against 20 for a valid value (0: always valid). */
  wild?: number;
  /** Values that reach deeper for some property names (a known model, a real role, an allowed workdir). */
  hints?: Record<string, fc.Arbitrary<unknown>>;
  /** Objects with their required fields and at most two optional ones (bodies that get past every check). */
  sparse?: boolean;
}

/** Values for `schema`: valid most of the time, and at each node, now and then, something else entirely. */
export function fromSchema(
  schema: JsonSchema | undefined,
  options: SchemaOptions = {},
  depth = 0,
): fc.Arbitrary<unknown> {
  const valid = validFor(schema ?? {}, options, depth);
  const wild = options.wild ?? 1;
  return wild > 0 ? fc.oneof({ arbitrary: valid, weight: 20 }, { arbitrary: wildJson(), weight: wild }) : valid;
}

function validFor(schema: JsonSchema, options: SchemaOptions, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => fromSchema(s, options, depth + 1)));
  if (schema.allOf?.length) return fromSchema(schema.allOf[0], options, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return schema.minLength
        ? fc.oneof(
            nastyString().filter((s) => s.length >= (schema.minLength ?? 0)),
            fc.string({ minLength: schema.minLength, maxLength: 30 }),
          )
        : nastyString();
    case "integer":
      return fc.oneof(
        { arbitrary: fc.integer({ min: schema.minimum ?? -3, max: Math.min(schema.maximum ?? 5, 5) }), weight: 3 },
        { arbitrary: nastyNumber(), weight: 1 },
      );
    case "number":
      return fc.oneof(
        { arbitrary: fc.double({ min: 0, max: 5, noNaN: true }), weight: 3 },
        { arbitrary: nastyNumber(), weight: 1 },
      );
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      if (depth > 4) return fc.constant([]);
      return fc.array(fromSchema(schema.items, options, depth + 1), {
        minLength: Math.min(schema.minItems ?? 0, 3),
        maxLength: Math.max(Math.min(schema.maxItems ?? 4, 4), Math.min(schema.minItems ?? 0, 3)),
      });
    case "object":
    case undefined: {
      const valueSchema =
        Object.values(schema.patternProperties ?? {})[0] ??
        (typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined);
      if (!schema.properties && valueSchema) {
        return fc.dictionary(nastyString(), fromSchema(valueSchema, options, depth + 1), { maxKeys: 4 });
      }
      if (!schema.properties) {
        if (type === undefined) return wildJson();
        return fc.dictionary(nastyString(), depth > 3 ? fc.string() : wildJson(), { maxKeys: 4 });
      }
      if (depth > 5) return fc.constant({});
      const required = new Set(schema.required ?? []);
      const shapes: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, child] of Object.entries(schema.properties)) {
        const plain = fromSchema(child, options, depth + 1);
        const hint = options.hints?.[key];
        shapes[key] = hint ? fc.oneof({ arbitrary: hint, weight: 3 }, { arbitrary: plain, weight: 1 }) : plain;
      }
      const optionalKeys = Object.keys(shapes).filter((key) => !required.has(key));
      const known = options.sparse
        ? fc
            .tuple(
              fc.record(Object.fromEntries(Object.entries(shapes).filter(([key]) => required.has(key)))),
              fc.subarray(optionalKeys, { maxLength: Math.min(2, optionalKeys.length) }),
            )
            .chain(([base, optional]) =>
              fc
                .record(Object.fromEntries(optional.map((key) => [key, shapes[key] as fc.Arbitrary<unknown>])))
                .map((extra) => ({ ...base, ...extra })),
            )
        : fc.record(shapes, { requiredKeys: [...required].filter((k) => k in shapes) });
      if (!options.wild) return known;
      // Now and then, a field the schema does not know.
      return fc.oneof(
        { arbitrary: known, weight: 8 },
        {
          arbitrary: fc.tuple(known, nastyString(), wildJson()).map(([o, k, v]) => ({ ...(o as object), [k]: v })),
          weight: 1,
        },
      );
    }
    default:
      return wildJson();
  }
}

/** Request bodies that are not JSON at all, or JSON that hurts parsers (depth, size, duplicates, encodings). */
export const rawBodies = (): fc.Arbitrary<{ body: string; contentType: string | undefined }> =>
  fc.record({
    body: fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.constantFrom(
        "",
        "{",
        "[",
        '{"prompt":',
        '{"prompt":"hi"',
        "null",
        "true",
        "0",
        '"string"',
        "[]",
        '{"prompt":"a","prompt":"b"}',
        '{"__proto__":{"polluted":true},"prompt":"x"}',
        '{"constructor":{"prototype":{"polluted":true}}}',
        `${"[".repeat(50_000)}${"]".repeat(50_000)}`,
        `${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}`,
        `{"prompt":"${"x".repeat(2_000_000)}"}`,
        "\ufeff{}",
        '{"prompt":"\\ud800"}',
        "NaN",
        "{'single':'quotes'}",
      ),
    ),
    contentType: fc.constantFrom(
      "application/json",
      "application/json; charset=utf-8",
      "application/json; charset=utf-16",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/xml",
      undefined,
    ),
  });
