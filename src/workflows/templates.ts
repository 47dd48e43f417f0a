/**
 * Placeholders in workflow prompts: `{{previous}}`, `{{steps.NAME.output}}` (chain) and
 * `{{tasks.ID.output}}` (parallel). Checked before anything runs; filled in just before a step.
 */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export type Placeholder =
  | { kind: "previous" }
  | { kind: "step"; name: string }
  | { kind: "task"; id: string }
  | { kind: "session" };

export class TemplateError extends Error {}

export function placeholdersIn(prompt: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const match of prompt.matchAll(PLACEHOLDER)) {
    const body = match[1] as string;
    if (body === "previous") found.push({ kind: "previous" });
    else if (body === "session") found.push({ kind: "session" });
    else {
      const step = /^steps\.(.+)\.output$/.exec(body);
      const task = /^tasks\.(.+)\.output$/.exec(body);
      if (step) found.push({ kind: "step", name: step[1] as string });
      else if (task) found.push({ kind: "task", id: task[1] as string });
      else throw new TemplateError(`unknown placeholder {{${body}}}`);
    }
  }
  return found;
}

/** Replaces every placeholder by `value(placeholder)`. */
export function fillTemplate(prompt: string, value: (placeholder: Placeholder) => string): string {
  return prompt.replace(PLACEHOLDER, (_whole, body: string) => {
    const [placeholder] = placeholdersIn(`{{${body}}}`);
    return value(placeholder as Placeholder);
  });
}
