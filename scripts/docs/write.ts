// Writes the generated reference pages (npm run docs).
import { writeFileSync } from "node:fs";
import { GENERATED } from "./reference.js";

for (const [file, generate] of Object.entries(GENERATED)) {
  writeFileSync(file, await generate());
  console.log(`wrote ${file}`);
}
