import type { InvocationOptions } from "../../src/backends/backend.js";

/** Invocation options with every unified option at its default: each test changes what it checks. */
export const baseInvocation: InvocationOptions = {
  prompt: "hello",
  approvalMode: "default",
  sandboxMode: "default",
  allowedTools: [],
  allowedDirs: [],
  extraFlags: [],
  ephemeral: false,
  promptVia: "argv",
};
