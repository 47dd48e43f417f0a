import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaults } from "../../src/config/keys.js";
import { LiveConfig } from "../../src/config/live.js";
import type { Config } from "../../src/config/schema.js";
import { Engine } from "../../src/engine/engine.js";
import { buildServer } from "../../src/server/build-server.js";
import { FileSessionStore } from "../../src/sessions/file-store.js";
import { ROOT } from "../helpers.js";

const KEY = "k-ui-test-0123456789";
let uiDirectory = "";

beforeAll(() => {
  uiDirectory = join(mkdtempSync(join(tmpdir(), "clinvk-ui-")), "ui");
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-ui.mjs"), uiDirectory], { cwd: ROOT });
}, 60_000);

async function server(directory = uiDirectory) {
  const config = defaults() as unknown as Config;
  config.server.api_keys = [KEY];
  const store = new FileSessionStore(mkdtempSync(join(tmpdir(), "clinvk-ui-store-")));
  return buildServer({ engine: new Engine(), store, config: new LiveConfig(config), uiDirectory: directory });
}

describe("the dashboard at /ui", () => {
  it("serves its page, script and style without a key, under a strict Content-Security-Policy", async () => {
    const app = await server();
    const page = await app.inject("/ui/");
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    expect(page.body).toContain('<script type="module" src="/ui/app.js">');
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers["x-content-type-options"]).toBe("nosniff");
    const script = await app.inject("/ui/app.js");
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toContain("text/javascript");
    // Nothing from elsewhere: no absolute URL of another origin in what the page loads.
    expect(script.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}\//i);
    expect((await app.inject("/ui/app.css")).headers["content-type"]).toContain("text/css");
    const bare = await app.inject("/ui");
    expect(bare.statusCode).toBe(302);
    expect(bare.headers.location).toBe("/ui/");
  });

  it("serves only its own files, and the API still asks for the key", async () => {
    const app = await server();
    for (const url of ["/ui/..%2Fpackage.json", "/ui/%2e%2e%2fpackage.json", "/ui/nope.js", "/ui/.env"]) {
      const response = await app.inject(url);
      expect(response.statusCode, url).toBe(404);
    }
    expect((await app.inject({ method: "POST", url: "/ui/app.js" })).statusCode).toBe(401);
    expect((await app.inject("/api/v1/runs")).statusCode).toBe(401);
    expect((await app.inject({ url: "/api/v1/runs", headers: { "x-api-key": KEY } })).statusCode).toBe(200);
  });

  it("says how to build it when it was not built", async () => {
    const app = await server(join(tmpdir(), "no-such-ui-dir"));
    const response = await app.inject("/ui/");
    expect(response.statusCode).toBe(404);
    expect(response.json().error.message).toContain("npm run build");
  });

  it("is not in the OpenAPI document (it is no API)", async () => {
    const app = await server();
    const doc = (await app.inject({ url: "/openapi.json", headers: { "x-api-key": KEY } })).json();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/ui"))).toEqual([]);
  });
});
