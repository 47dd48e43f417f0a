// Writes the unified event's JSON Schema from its TypeBox definition (npm run schema).
import { writeFileSync } from "node:fs";
import { RunEventSchema } from "../src/core/events.js";

export const EVENT_SCHEMA_FILE = "schema/run-event.schema.json";

export function eventSchemaJson(): string {
  const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", ...RunEventSchema };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1]?.endsWith("write-event-schema.ts")) {
  writeFileSync(EVENT_SCHEMA_FILE, eventSchemaJson());
  console.log(`wrote ${EVENT_SCHEMA_FILE}`);
}
