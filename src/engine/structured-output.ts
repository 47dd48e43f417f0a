/**
 * Structured output, once for every face: a run with an output schema asks the CLI for JSON that
 * matches it, checks the answer with ajv, and when it does not match asks once more with the
 * validation errors (in the same CLI conversation where it can); a second miss is a `bad_output`
 * error naming what is wrong. Every CLI gets the schema in its prompt; a CLI that takes it itself
 * (capabilities.outputSchema) gets it too when its provider takes that schema: codex as
 * `--output-schema` (a file; OpenAI's strict mode: an object that closes its properties), claude as
 * `--json-schema` (the JSON; its StructuredOutput tool, whose input is an object).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { BackendCapabilities, OutputSchemaArg } from "../backends/backend.js";
import { ClinvkError } from "../core/errors.js";
import type { RunEvent, Usage } from "../core/events.js";
import type { RunRequest, RunResult } from "../core/request.js";

export type JsonSchema = Record<string, unknown>;

/** Schemas above this size are refused: they travel in argv and prompts. */
const MAX_SCHEMA_CHARS = 64 * 1024;
const MAX_ERRORS_SHOWN = 5;
/** One argv string may hold 128 KiB (Linux MAX_ARG_STRLEN); a schema's characters can take 3 bytes each. */
const MAX_ARGV_SCHEMA_BYTES = 64 * 1024;

/** Made by the first schema compiled: most runs have none, and the constructor compiles meta-schemas. */
let ajv: Ajv | undefined;

/** The schema compiled, or an invalid_request error before anything runs. */
export function compileSchema(schema: unknown): ValidateFunction {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) {
    throw new ClinvkError("invalid_request", "the output schema must be a JSON Schema object");
  }
  const text = JSON.stringify(schema);
  if (text.length > MAX_SCHEMA_CHARS) {
    throw new ClinvkError(
      "invalid_request",
      `the output schema is ${text.length} characters, over ${MAX_SCHEMA_CHARS}`,
    );
  }
  // Drafts differ in little that matters here; ajv's default draft reads them all without $schema.
  const { $schema: _draft, ...rest } = schema as JsonSchema;
  try {
    ajv ??= new Ajv({ allErrors: true, strict: false, validateFormats: false });
    return ajv.compile(rest);
  } catch (error) {
    throw new ClinvkError(
      "invalid_request",
      `the output schema is not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
}

/** Whether codex's --output-schema (OpenAI's strict structured output) can take the schema. */
export function strictCompatible(schema: JsonSchema): boolean {
  return schema.type === "object" && schema.additionalProperties === false;
}

/** Whether a CLI's provider takes the schema (capabilities.outputSchema.takes). */
export function nativelyTaken(takes: "strict" | "object", schema: JsonSchema): boolean {
  return takes === "strict" ? strictCompatible(schema) : schema.type === "object";
}

export interface NativeSchema {
  arg: OutputSchemaArg;
  /** Removes what the argument needed (the file), after the run. */
  remove(): Promise<void>;
}

/**
 * The schema in the form the CLI takes it itself (a private temporary file, or the JSON for argv),
 * or undefined where it takes none or its provider would refuse this schema: the prompt says it then.
 */
export async function nativeSchema(
  capability: BackendCapabilities["outputSchema"],
  schema: JsonSchema,
): Promise<NativeSchema | undefined> {
  if (!capability || !nativelyTaken(capability.takes, schema)) return undefined;
  const json = JSON.stringify(schema);
  if (capability.via === "argv") {
    // Larger (non-ASCII) schemas stay in the prompt, which goes through stdin when large.
    if (Buffer.byteLength(json) > MAX_ARGV_SCHEMA_BYTES) return undefined;
    return { arg: { via: "argv", json }, remove: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), "clinvk-schema-"));
  const path = join(dir, "schema.json");
  await writeFile(path, json, { mode: 0o600 });
  return { arg: { via: "file", path }, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function schemaInstruction(schema: JsonSchema): string {
  return [
    "",
    "",
    "Answer with one JSON value only, with no prose and no code fence around it, that matches this JSON Schema:",
    JSON.stringify(schema),
  ].join("\n");
}

export type Checked = { ok: true; json: string; value: unknown } | { ok: false; problems: string };

/** The answer's JSON (a code fence or prose around one JSON value is tolerated), checked. */
export function checkAnswer(validate: ValidateFunction, text: string): Checked {
  const candidate = extractJson(text);
  let value: unknown;
  try {
    value = JSON.parse(candidate);
  } catch {
    return { ok: false, problems: "the answer is not JSON" };
  }
  if (validate(value)) return { ok: true, json: JSON.stringify(value), value };
  return { ok: false, problems: describeErrors(validate.errors ?? []) };
}

function extractJson(text: string): string {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n?```/.exec(trimmed);
  if (fenced?.[1]) return fenced[1].trim();
  if (/^[[{"]/.test(trimmed) || /^(-?\d|true|false|null)/.test(trimmed)) return trimmed;
  const start = trimmed.search(/[[{]/);
  const end = Math.max(trimmed.lastIndexOf("}"), trimmed.lastIndexOf("]"));
  return start >= 0 && end > start ? trimmed.slice(start, end + 1) : trimmed;
}

function describeErrors(errors: ErrorObject[]): string {
  const shown = errors
    .slice(0, MAX_ERRORS_SHOWN)
    .map((error) => `${error.instancePath || "(the value)"} ${error.message ?? "is invalid"}`);
  const more = errors.length > MAX_ERRORS_SHOWN ? `; and ${errors.length - MAX_ERRORS_SHOWN} more` : "";
  return shown.join("; ") + more;
}

export function repairPrompt(problems: string, schema: JsonSchema, previous?: string): string {
  return [
    ...(previous !== undefined ? ["Your previous answer was:", previous, ""] : []),
    `That answer does not match the JSON Schema: ${problems}.`,
    `Answer again with only the corrected JSON value, matching: ${JSON.stringify(schema)}`,
  ].join("\n");
}

type RunOnce = (request: RunRequest) => AsyncGenerator<RunEvent, RunResult, undefined>;

/**
 * Runs `request` (which has an outputSchema) through `runOnce`, checked and repaired at most once.
 * The first attempt's result event is held back when a repair follows; the result's text is the
 * schema-valid JSON.
 */
export async function* structuredRun(
  request: RunRequest & { outputSchema: JsonSchema },
  runOnce: RunOnce,
): AsyncGenerator<RunEvent, RunResult, undefined> {
  const validate = compileSchema(request.outputSchema);
  const first: RunRequest = { ...request, prompt: request.prompt + schemaInstruction(request.outputSchema) };
  const attempt = yield* withoutResult(runOnce(first));
  const { result } = attempt;
  if (result.error || result.dry_run) return yield* emitResult(attempt);
  const checked = checkAnswer(validate, result.text);
  if (checked.ok) return yield* emitResult(attempt, { ...result, text: checked.json });

  // One repair: in the same conversation when the CLI kept one, else a new run that quotes the answer.
  const resumable = !request.ephemeral && result.backend_session_id;
  const repair: RunRequest = resumable
    ? {
        ...first,
        prompt: repairPrompt(checked.problems, request.outputSchema),
        resume: { backendSessionId: result.backend_session_id as string },
        sessionId: result.session_id ?? request.sessionId,
        newSessionId: undefined,
        systemPrompt: undefined,
      }
    : { ...first, prompt: `${first.prompt}\n\n${repairPrompt(checked.problems, request.outputSchema, result.text)}` };
  const second = yield* withoutResult(runOnce(repair));
  // Both attempts were paid for: the result counts them together, and their time.
  const repaired: RunResult = {
    ...second.result,
    usage: addUsage(result.usage, second.result.usage),
    duration_ms: result.duration_ms + second.result.duration_ms,
  };
  if (repaired.error) return yield* emitResult(second, repaired);
  const again = checkAnswer(validate, repaired.text);
  if (again.ok) return yield* emitResult(second, { ...repaired, text: again.json });
  return yield* emitResult(second, {
    ...repaired,
    status: "error",
    error: {
      code: "bad_output",
      message: `the answer does not match the output schema, after one repair: ${again.problems}`,
      hint: "simplify the schema, or say more in the prompt about the shape wanted",
    },
  });
}

function addUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    input_tokens: a.input_tokens + b.input_tokens,
    output_tokens: a.output_tokens + b.output_tokens,
    cached_tokens: a.cached_tokens + b.cached_tokens,
    reasoning_tokens: a.reasoning_tokens + b.reasoning_tokens,
  };
  if (a.cost_usd !== undefined || b.cost_usd !== undefined) sum.cost_usd = (a.cost_usd ?? 0) + (b.cost_usd ?? 0);
  return sum;
}

interface Attempt {
  result: RunResult;
  /** The attempt's own result event, emitted (with the final result) once the caller has decided. */
  event?: RunEvent;
}

/**
 * Forwards a run's events except its text (the answer comes whole, checked, in the result) and its
 * result event.
 */
async function* withoutResult(events: AsyncGenerator<RunEvent, RunResult, undefined>) {
  let event: RunEvent | undefined;
  let step = await events.next();
  while (!step.done) {
    if (step.value.type === "result") event = step.value;
    else if (step.value.type !== "text") yield step.value;
    step = await events.next();
  }
  return { result: step.value, event } as Attempt;
}

async function* emitResult(attempt: Attempt, result: RunResult = attempt.result) {
  if (attempt.event) yield { ...attempt.event, ...result, type: "result" } as RunEvent;
  return result;
}
