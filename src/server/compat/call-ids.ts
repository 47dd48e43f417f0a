/** Ids of client-tool calls as each surface names them, recognizable as this server's own. */
import { randomBytes } from "node:crypto";

export const toolCallIds = {
  openai: () => `call_ck${randomBytes(12).toString("hex")}`,
  anthropic: () => `toolu_ck${randomBytes(12).toString("hex")}`,
} as const;

export const isOwnCallId = (id: string) => /^(call|toolu)_ck[a-f0-9]{24}$/.test(id);
