/**
 * The status page in a real browser (Debian's Chromium, driven by playwright-core) against a lab
 * controller: a job appears, runs and finishes on the page without a reload; the page passes
 * axe-core with no serious or critical violations; it reads on a phone and without JavaScript.
 * Screenshots go to .cache/screenshots/; with RF_UPDATE_SCREENSHOT=1 the desktop one also
 * replaces docs/status-page.png (the README shows it).
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { startLabFleet, type LabFleet } from "../support/lab-fleet.ts";

const chromiumPath = process.env.RF_CHROMIUM ?? "/usr/bin/chromium";
const screenshots = ".cache/screenshots";
const desktop = { width: 1280, height: 900 };
const phone = { width: 390, height: 844 };

let fleet: LabFleet;
let browser: Browser;

beforeAll(async () => {
  fleet = await startLabFleet();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
  });
  await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await fleet?.close();
});

const axeTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
const axeSource = readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** axe-core's WCAG 2.1 A/AA and best-practice rules; the violations that are serious or worse. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(await axeSource);
  // Expressions run in the page (this project's TypeScript has no DOM types).
  const violations = await page.evaluate<{ id: string; impact: string; help: string; nodes: { target: string[] }[] }[]>(
    `axe.run(document, { runOnly: { type: "tag", values: ${JSON.stringify(axeTags)} } }).then((result) => result.violations)`,
  );
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

const row = (page: Page, table: RegExp, text: string) => page.getByRole("table", { name: table }).getByRole("row").filter({ hasText: text });

describe("the status page in Chromium", () => {
  let page: Page;

  it("shows a job appear, run and finish without a reload", async () => {
    page = await browser.newPage({ viewport: desktop });
    await page.goto(`${fleet.url}/`);
    await expect(page.title()).resolves.toBe("runner-fleet: lab");
    for (const role of ["banner", "main", "contentinfo"] as const) await expect(page.getByRole(role).count()).resolves.toBe(1);
    // The warm pool fills (the page refreshes itself; nothing here reloads it).
    await row(page, /^Pools/, "lab").getByText("1 of 1 warm: ready").waitFor({ timeout: 20_000 });

    // Longer than the page's refresh interval, so a refresh lands while it runs.
    const job = fleet.enqueue("browser-job", 10);
    const vmRow = row(page, /^Runner VMs/, "browser-job");
    await vmRow.waitFor({ timeout: 20_000 });
    await expect(vmRow.getByRole("cell").nth(1).textContent()).resolves.toBe("busy");
    await page.screenshot({ path: `${screenshots}/desktop-running.png`, fullPage: true });

    const jobRow = row(page, /^The last \d+ runner VMs to end/, "browser-job");
    await jobRow.waitFor({ timeout: 40_000 });
    expect(fleet.emulator.job(job.jobId)?.conclusion).toBe("success");
    await expect(jobRow.getByText("success", { exact: true }).count()).resolves.toBe(1);
    // The phase bar names its timings for screen readers; the run took the 10 s the job slept.
    const bar = jobRow.getByRole("img");
    const label = (await bar.getAttribute("aria-label")) ?? "";
    expect(label).toMatch(/\bboot [\d.]+m?s\b/);
    const run = /\brun ([\d.]+)s\b/.exec(label);
    expect(Number(run?.[1])).toBeGreaterThanOrEqual(10);
    // The run segment is the widest of the bar.
    const widths = await bar.locator("span").evaluateAll((spans) => spans.map((s) => [s.className, s.getBoundingClientRect().width] as const));
    const widest = widths.reduce((a, b) => (b[1] > a[1] ? b : a));
    expect(widest[0]).toContain("phase-run");
  });

  it("shows the guard's latest decision (this controller runs it)", async () => {
    const guard = row(page, /^The guard's state/, "acme/app");
    await guard.waitFor({ timeout: 20_000 });
    await expect(guard.getByText("enabled", { exact: true }).count()).resolves.toBe(1);
    await page.screenshot({ path: `${screenshots}/desktop.png`, fullPage: true });
    if (process.env.RF_UPDATE_SCREENSHOT === "1") await copyFile(`${screenshots}/desktop.png`, "docs/status-page.png");
  });

  it("has no serious or critical accessibility violations (axe-core)", async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("reads on a phone: no sideways scrolling, cells keep their column names", async () => {
    const small = await browser.newPage({ viewport: phone, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await small.goto(`${fleet.url}/`);
    await row(small, /^The last \d+ runner VMs to end/, "browser-job").waitFor();
    const overflow = await small.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    const before = await small.evaluate<string>(`getComputedStyle(document.querySelector('td[data-label="Outcome"]'), "::before").content`);
    expect(before).toBe('"Outcome: "');
    await small.screenshot({ path: `${screenshots}/phone.png`, fullPage: true });
    expect(await seriousViolations(small)).toEqual([]);
    await small.close();
  });

  it("works without JavaScript, refreshing itself with a meta refresh", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: desktop });
    const plain = await context.newPage();
    await plain.goto(`${fleet.url}/`);
    await expect(row(plain, /^The last \d+ runner VMs to end/, "browser-job").count()).resolves.toBe(1);
    await expect(plain.locator('noscript meta[http-equiv="refresh"]').count()).resolves.toBe(1);
    await context.close();
  });

  it("can be used with the keyboard: Tab reaches every table's scroll region and link", async () => {
    const regions = await page.locator('[role="region"][tabindex="0"]').count();
    const links = await page.getByRole("link").count();
    const focused = new Set<string>();
    for (let i = 0; i < regions + links + 2; i++) {
      await page.keyboard.press("Tab");
      focused.add(await page.evaluate<string>(`document.activeElement.getAttribute("aria-label") ?? document.activeElement.getAttribute("href") ?? ""`));
    }
    expect(focused).toContain("/metrics");
    expect([...focused].filter((f) => f.startsWith("Runner VMs") || f.startsWith("Pools")).length).toBeGreaterThan(0);
  });

  it("kept every GitHub exchange within GitHub's OpenAPI description", () => {
    expect(fleet.checked.contract.violations).toEqual([]);
  });
});
