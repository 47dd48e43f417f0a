/**
 * The values of the event vocabulary that every run needs, apart from the event schemas of
 * events.ts, which build TypeBox types as they load: a CLI run uses these without loading TypeBox.
 */
export const EVENT_SCHEMA_VERSION = 1;

/** A Usage (events.ts) of nothing yet. */
export function emptyUsage(): {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
} {
  return { input_tokens: 0, output_tokens: 0, cached_tokens: 0, reasoning_tokens: 0 };
}
