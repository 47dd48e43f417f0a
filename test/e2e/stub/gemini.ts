// biome-ignore-all lint/suspicious/noExplicitAny: provider wire JSON is arbitrary; tests read it loosely.
// Gemini API imitation: POST /v1beta/models/<model>:generateContent (JSON) and
// :streamGenerateContent?alt=sse (SSE, `data:` lines only).
import type { HttpAnswer, Inspection, ProviderAdapter, ReplyPlan, SseEvent } from "./adapter.js";
import type { ErrorSpec, ToolResult } from "./types.js";
import { chunkText, fillSchema, inputAsObject, isWrapperText, randomId } from "./util.js";

const PATH_RE = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/;

const ERRORS: Record<number, [status: string, message: string]> = {
  400: ["INVALID_ARGUMENT", "Request contains an invalid argument."],
  401: ["UNAUTHENTICATED", "API key not valid. Please pass a valid API key."],
  403: ["PERMISSION_DENIED", "Permission denied: Consumer has been suspended."],
  404: ["NOT_FOUND", "models/stub is not found for API version v1beta, or is not supported for generateContent."],
  429: [
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details. Please retry in 1s.",
  ],
  500: [
    "INTERNAL",
    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  ],
  503: ["UNAVAILABLE", "The model is overloaded. Please try again later."],
  529: ["UNAVAILABLE", "The model is overloaded. Please try again later."],
};

function lastUserText(contents: any[]): string {
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (!c || (c.role !== undefined && c.role !== "user") || !Array.isArray(c.parts)) continue;
    const texts = c.parts
      .filter((p: any) => typeof p?.text === "string" && !p.thought)
      .map((p: any) => p.text as string)
      .filter((t: string) => !isWrapperText(t));
    if (texts.length > 0) return texts.join("\n");
  }
  return "";
}

function toolResults(contents: any[]): ToolResult[] {
  const out: ToolResult[] = [];
  for (const c of contents) {
    if (!Array.isArray(c?.parts)) continue;
    for (const p of c.parts) {
      const fr = p?.functionResponse;
      if (!fr) continue;
      const r = fr.response;
      const output =
        r && typeof r === "object" && typeof r.output === "string"
          ? r.output
          : r && typeof r === "object" && typeof r.error === "string"
            ? r.error
            : JSON.stringify(r ?? null);
      const result: ToolResult = { name: fr.name, output };
      if (fr.id) result.id = fr.id;
      out.push(result);
    }
  }
  return out;
}

function usageMetadata(plan: ReplyPlan, final: boolean) {
  const u = plan.usage;
  const meta: Record<string, unknown> = {
    promptTokenCount: u.inputTokens,
    totalTokenCount: u.inputTokens + (final ? u.outputTokens + u.reasoningTokens : 0),
    promptTokensDetails: [{ modality: "TEXT", tokenCount: u.inputTokens }],
  };
  if (final) meta.candidatesTokenCount = u.outputTokens;
  if (u.cachedTokens) {
    meta.cachedContentTokenCount = u.cachedTokens;
    meta.cacheTokensDetails = [{ modality: "TEXT", tokenCount: u.cachedTokens }];
  }
  if (final && u.reasoningTokens) meta.thoughtsTokenCount = u.reasoningTokens;
  return meta;
}

function functionCallPart(t: ReplyPlan["toolCalls"][number]) {
  return { functionCall: { name: t.name, args: inputAsObject(t.input) } };
}

export const geminiAdapter: ProviderAdapter = {
  provider: "gemini",

  matches(pathname) {
    return PATH_RE.test(pathname);
  },

  inspect(pathname, _search, body): Inspection {
    const m = PATH_RE.exec(pathname);
    const method = (m?.[3] ?? "generateContent") as "generateContent" | "streamGenerateContent";
    const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
    return {
      endpoint: method,
      model: m?.[2] ? decodeURIComponent(m[2]) : null,
      stream: method === "streamGenerateContent",
      // gemini-cli streams every main-conversation call; its non-streaming calls are utility calls
      // (the model router's classifier, next-speaker checks, session summaries).
      side: method === "generateContent",
      userText: lastUserText(contents),
      toolResults: toolResults(contents),
    };
  },

  toolCallId() {
    return randomId("call_", 16);
  },

  defaultSideText(body) {
    const gc = body?.generationConfig ?? body?.config ?? {};
    const schema = gc.responseJsonSchema ?? gc.responseSchema;
    if (schema) return JSON.stringify(fillSchema(schema));
    if (gc.responseMimeType === "application/json") return "{}";
    return "stub side reply";
  },

  headers() {
    return { "x-gemini-service-tier": "standard", "server-timing": "gfet4t7; dur=12" };
  },

  streamEvents(plan): SseEvent[] {
    const responseId = randomId("", 22);
    const events: SseEvent[] = [];
    const pieces = chunkText(plan.text, plan.chunkSize);
    const chunks: any[][] = pieces.map((text) => [{ text }]);
    if (plan.toolCalls.length > 0) chunks.push(plan.toolCalls.map(functionCallPart));
    if (chunks.length === 0) chunks.push([{ text: "" }]);
    chunks.forEach((parts, i) => {
      const final = i === chunks.length - 1;
      const candidate: Record<string, unknown> = { content: { parts, role: "model" }, index: 0 };
      if (final) candidate.finishReason = plan.stopReason ?? "STOP";
      events.push({
        data: {
          candidates: [candidate],
          usageMetadata: usageMetadata(plan, final),
          modelVersion: plan.model,
          responseId,
        },
        content: true,
      });
    });
    return events;
  },

  formatEvent(e) {
    return `data: ${JSON.stringify(e.data)}\r\n\r\n`;
  },

  jsonBody(plan) {
    const parts: any[] = [];
    if (plan.text || plan.toolCalls.length === 0) parts.push({ text: plan.text });
    parts.push(...plan.toolCalls.map(functionCallPart));
    return {
      candidates: [{ content: { parts, role: "model" }, finishReason: plan.stopReason ?? "STOP", index: 0 }],
      usageMetadata: usageMetadata(plan, true),
      modelVersion: plan.model,
      responseId: randomId("", 22),
    };
  },

  error(spec: ErrorSpec): HttpAnswer {
    const [status, message] =
      ERRORS[spec.status] ??
      (spec.status >= 500 ? ["INTERNAL", "Internal error encountered."] : ["INVALID_ARGUMENT", "Bad request."]);
    const headers: Record<string, string> = {};
    const retryAfter = spec.retryAfter ?? (spec.status === 429 || spec.status === 529 ? 1 : undefined);
    const error: Record<string, unknown> = {
      code: spec.status,
      message: spec.message ?? message.replace("retry in 1s", `retry in ${retryAfter ?? 1}s`),
      status: spec.type ?? status,
    };
    if (retryAfter !== undefined) {
      headers["retry-after"] = String(retryAfter);
      if (spec.status === 429) {
        error.details = [
          {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            violations: [
              {
                quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
              },
            ],
          },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: `${retryAfter}s` },
        ];
      }
    }
    return { status: spec.status, headers, body: { error } };
  },
};
