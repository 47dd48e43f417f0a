/**
 * Tools that an SDK user defines with their code: offered to the CLI's agent for one run, each call
 * answered by the tool's `run` in the caller's own process (the agent waits for it).
 */
import type { ClientToolChoice, ClientTools } from "../core/tools.js";

export interface Tool<Input = Record<string, unknown>> {
  name: string;
  description?: string;
  /** A JSON Schema of the input object. */
  inputSchema: Record<string, unknown>;
  /** Answers one call: its output as text (or with isError, a failure the agent reads). A throw is such a failure. */
  run(input: Input, context: { signal: AbortSignal }): Promise<string | ToolOutput> | string | ToolOutput;
}

export interface ToolOutput {
  content: string;
  isError?: boolean;
}

/** The tools as the engine's client tools, each call dispatched to its tool's `run`. */
export function clientToolsOf(
  tools: readonly Tool[],
  options: { choice?: ClientToolChoice; keepBuiltinTools?: boolean } = {},
): ClientTools {
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  return {
    tools: tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
    choice: options.choice,
    keepBuiltinTools: options.keepBuiltinTools === true,
    async handler(call, signal) {
      const tool = byName.get(call.name);
      if (!tool) return { content: `unknown tool ${call.name}`, isError: true };
      try {
        const output = await tool.run(call.arguments, { signal });
        return typeof output === "string" ? { content: output } : output;
      } catch (error) {
        return { content: error instanceof Error ? error.message : String(error), isError: true };
      }
    },
  };
}
