import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionStoreContract } from "./contract.js";

sessionStoreContract("file", () => mkdtempSync(join(tmpdir(), "clinvk-store-")));
