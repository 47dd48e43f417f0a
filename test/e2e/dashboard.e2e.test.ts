// The dashboard at /ui in headless Chromium (Debian's chromium, driven by playwright-core) against clinvk serve
// with the REAL claude, codex and gemini CLIs behind the provider stub: the key, a compare across the three, the
// sessions it left, and a slow run cancelled from the Runs page with its CLI process gone. The screenshots go to
// a temporary directory, or to $CLINVK_DASHBOARD_SCREENSHOTS (docs/guides/images when the guide is refreshed).
import type { ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./cli-env.js";
import { realCliSuite, startServe } from "./clinvk-bin.js";
import { sandboxProcesses } from "./processes.js";

const KEY = "dashboard-e2e-key-0123456789";
const CHROMIUM = process.env.CLINVK_CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.CLINVK_DASHBOARD_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), "clinvk-dashboard-shots-"));
const e2e = realCliSuite();

let server: ChildProcess | undefined;
let base = "";
let browser: Browser | undefined;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it), or set CLINVK_CHROMIUM`,
    );
  // The snapshot of the bundle serves the dashboard from ui/ beside it, as dist/ serves dist/ui.
  cpSync(join(REPO_ROOT, "dist", "ui"), join(dirname(e2e.bin.cli), "ui"), { recursive: true });
  ({ server, base } = await startServe(e2e.bin.cli, e2e.sb, { CLINVK_API_KEYS: KEY }));
  mkdirSync(SHOTS, { recursive: true });
  // Root in CI: Chromium's own sandbox needs a user namespace it may not get there.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(90_000);
});

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
});

const shot = (name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });

/** A claude run whose provider never answers, started through the API; returns its response and its row on the Runs page. */
async function hangingRunOnRunsPage(prompt: string) {
  e2e.stub.script({ provider: "anthropic", hang: true });
  const slow = fetch(`${base}/api/v1/prompt`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": KEY },
    body: JSON.stringify({ backend: "claude", prompt, workdir: e2e.sb.workDir }),
  });
  await page.goto(`${base}/ui/#/runs`);
  const row = page.locator("tr[data-state=running]").first();
  await row.waitFor();
  return { slow, row };
}

describe("the dashboard", () => {
  it("asks for the key once, then shows the runs", async () => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${base}/ui/`);
    await page.waitForSelector("#api-key");
    await shot("dashboard-key");
    await page.fill("#api-key", "not-the-key");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=The server refused that key.");
    await page.fill("#api-key", KEY);
    await page.click("button[type=submit]");
    await page.waitForSelector("#runs-title");
    // Kept for the tab: a reload does not ask again.
    await page.reload();
    await page.waitForSelector("#runs-title");
    expect(await page.evaluate('sessionStorage.getItem("clinvk.apiKey")')).toBe(KEY);
    expect(errors).toEqual([]);
  });

  it("compares claude, codex and gemini side by side and opens the sessions they left", async () => {
    e2e.stub.script(
      { provider: "anthropic", text: "CLAUDE-SAYS-MAPLE" },
      { provider: "openai", text: "CODEX-SAYS-BIRCH" },
      { provider: "gemini", text: "GEMINI-SAYS-CEDAR" },
    );
    await page.goto(`${base}/ui/#/compare`);
    await page.fill("#compare-prompt", "Name a tree.");
    await page.getByPlaceholder("server default").fill(e2e.sb.workDir);
    await page.click("button:has-text('Compare')");
    for (const [backend, answer] of [
      ["claude", "CLAUDE-SAYS-MAPLE"],
      ["codex", "CODEX-SAYS-BIRCH"],
      ["gemini", "GEMINI-SAYS-CEDAR"],
    ]) {
      const column = page.locator(`article[data-backend=${backend}]`);
      await column.locator(".badge.completed").waitFor();
      expect(await column.locator(".answer-text").textContent()).toContain(answer);
    }
    await shot("dashboard-compare");

    // Each column links to its session.
    await page.locator("article[data-backend=codex] a:has-text('session')").click();
    await page.waitForSelector("#session-title");
    expect(await page.locator(".facts").textContent()).toContain("codex");
    expect(await page.locator(".prompt").first().textContent()).toContain("Name a tree.");
    // Continue it from the prompt box: the real codex resumes its own session.
    e2e.stub.script({ provider: "openai", text: "CODEX-RESUMED-OAK" });
    await page.fill("#resume-prompt", "And another?");
    await page.click("button:has-text('Send')");
    await page.locator(".answer pre:has-text('CODEX-RESUMED-OAK')").waitFor();
    await expect.poll(() => page.locator(".facts").textContent()).toContain("Turns2");
    // Its turns, oldest first: each prompt with the answer the real codex gave.
    const turns = page.locator("li.turn");
    await expect.poll(() => turns.count()).toBe(2);
    expect(await turns.nth(0).locator(".turn-prompt").textContent()).toContain("Name a tree.");
    expect(await turns.nth(0).locator(".turn-answer").textContent()).toContain("CODEX-SAYS-BIRCH");
    expect(await turns.nth(1).locator(".turn-prompt").textContent()).toContain("And another?");
    expect(await turns.nth(1).locator(".turn-answer").textContent()).toContain("CODEX-RESUMED-OAK");
    expect(await turns.nth(1).textContent()).toMatch(/\d+ in \/ \d+ out/);
    await page.fill("#new-tag", "compared");
    await page.click("button:has-text('Add tag')");
    await page.locator(".tags li:has-text('compared')").waitFor();
    await shot("dashboard-session", true);
    await page.goto(`${base}/ui/#/sessions`);
    await page.fill("input[type=search]", "Name a tree");
    await expect.poll(() => page.locator("li[data-session]").count(), { timeout: 10_000 }).toBe(3);
    await page.locator("select").first().selectOption("gemini");
    await expect.poll(() => page.locator("li[data-session]").count(), { timeout: 10_000 }).toBe(1);
    await page.locator("select").first().selectOption("");
    // The server's search reaches a later turn's prompt, which no listing shows.
    await page.fill("input[type=search]", "AND ANOTHER");
    const listed = () => page.locator("li[data-session] .muted").allTextContents();
    await expect.poll(listed, { timeout: 10_000 }).toEqual([expect.stringContaining("codex · completed · 2 turns")]);
    await page.fill("input[type=search]", "Name a tree");
    await expect.poll(() => page.locator("li[data-session]").count(), { timeout: 10_000 }).toBe(3);
    await shot("dashboard-sessions");
    // Delete asks first; "Keep it" keeps it, "Yes, delete" deletes it.
    await page.locator("li[data-session] a").first().click();
    await page.click("button:has-text('Delete…')");
    await page.click("button:has-text('Keep it')");
    await page.click("button:has-text('Delete…')");
    await page.click("button:has-text('Yes, delete')");
    await page.waitForSelector("#session-title", { state: "detached" });
    await page.fill("input[type=search]", "Name a tree");
    await expect.poll(() => page.locator("li[data-session]").count(), { timeout: 10_000 }).toBe(2);
  });

  it("cancels a slow run from the Runs page, and its CLI process is gone", async () => {
    const before = new Set(sandboxProcesses(e2e.sb).map((p) => p.pid));
    const { slow, row } = await hangingRunOnRunsPage("Take your time.");
    // The CLI is running: the processes that are new since before the run are its own.
    const cli = await expect
      .poll(() => sandboxProcesses(e2e.sb).filter((p) => !before.has(p.pid) && /claude/.test(p.cmdline)), {
        timeout: 30_000,
      })
      .not.toEqual([])
      .then(() => sandboxProcesses(e2e.sb).filter((p) => !before.has(p.pid)));
    await row.locator("button").first().click();
    await page.waitForSelector("#run-title");
    await page.locator(".event.start").waitFor();
    await shot("dashboard-run");
    await page.click("button:has-text('Cancel run')");
    await page.locator("#run-title .badge.cancelled").waitFor();
    await page.locator(".event.end").waitFor();
    const answer = (await (await slow).json()) as { status: string; error_code?: string };
    expect(answer).toMatchObject({ status: "error", error_code: "cancelled" });
    const alive = () => {
      const now = new Set(sandboxProcesses(e2e.sb).map((p) => p.pid));
      return cli.filter((p) => now.has(p.pid)).map((p) => p.cmdline);
    };
    await expect.poll(alive, { timeout: 10_000 }).toEqual([]);
    await shot("dashboard-runs");
  });

  it("interrupts a run from the Runs page: the turn ends as interrupted and its session stays", async () => {
    const { slow, row } = await hangingRunOnRunsPage("Think it over.");
    await row.locator("button").first().click();
    await page.locator(".event.start").waitFor();
    await page.click("button:has-text('Interrupt')");
    await page.locator("#run-title .badge.interrupted").waitFor();
    const answer = (await (await slow).json()) as { status: string; error_code?: string; session_id: string };
    expect(answer).toMatchObject({ status: "error", error_code: "interrupted" });
    const session = await fetch(`${base}/api/v1/sessions/${answer.session_id}`, { headers: { "x-api-key": KEY } });
    expect(session.status).toBe(200);
  });

  it("fits a phone's width and follows the system's dark mode", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${base}/ui/#/runs`);
    await page.waitForSelector("#runs-title");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    const background = await page.evaluate("getComputedStyle(document.body).backgroundColor");
    expect(background).toBe("rgb(18, 18, 22)");
    await shot("dashboard-phone-dark");
    // Keyboard: Escape closes an opened run; Tab reaches the navigation, Enter follows it.
    await page.locator("tr[data-run] button").first().click();
    await page.waitForSelector("#run-title");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#run-title", { state: "detached" });
    let focused = "";
    for (let presses = 0; presses < 40 && focused !== "Sessions"; presses++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate<string>('document.activeElement ? document.activeElement.textContent.trim() : ""');
    }
    expect(focused).toBe("Sessions");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#sessions-title");
    await page.goto(`${base}/ui/#/health`);
    await page.locator("td:has-text('claude')").waitFor();
    await shot("dashboard-health-phone-dark");
  });
});
