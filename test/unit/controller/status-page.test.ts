import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { escapeHtml, html } from "../../../runtime/controller/html.ts";
import { barSegments, guardView, renderStatusPage, warmReadiness, type GuardView } from "../../../runtime/controller/status-page.ts";
import type { JobStatus, StatusDocument } from "../../../runtime/controller/status-report.ts";

const t0 = Date.parse("2026-01-01T12:00:00Z");

function statusDoc(overrides: Partial<StatusDocument> = {}): StatusDocument {
  return {
    version: 1,
    host: "h1",
    generatedAt: new Date(t0 + 90_000).toISOString(),
    controller: {
      startedAt: new Date(t0).toISOString(),
      lastPassAt: new Date(t0 + 89_000).toISOString(),
      lastPassOk: true,
      lastError: null,
      githubOkAt: new Date(t0 + 89_000).toISOString(),
      rateLimit: { limit: 5000, remaining: 4990, reset: t0 / 1000 + 3600 },
      draining: false,
      drainingSince: null,
      shuttingDown: false,
      setupProblems: [],
    },
    pools: [
      {
        name: "small",
        labels: ["self-hosted", "linux"],
        min: 1,
        max: 3,
        target: 1,
        desired: 1,
        queued: 0,
        counts: { provisioning: 0, booting: 0, idle: 1, busy: 1 },
        consecutiveFailures: 0,
        backoffUntil: null,
        held: null,
      },
    ],
    capacity: { vcpus: { budget: 8, used: 2 }, memoryMiB: { budget: 8192, used: 1024 } },
    vms: [
      { name: "rf-h1-small-a", pool: "small", phase: "busy", times: { requested: t0 + 30_000 }, job: { id: 7, repository: "acme/app", name: "build" } },
    ],
    recentJobs: [],
    failures: {},
    ...overrides,
  };
}

function job(name: string, phasesMs: JobStatus["phasesMs"], extra: Partial<JobStatus> = {}): JobStatus {
  return { name, pool: "small", outcome: "success", reason: "job_finished", detail: "", times: { requested: t0 }, phasesMs, ...extra } as JobStatus;
}

const elsewhere: GuardView = { kind: "elsewhere" };

describe("html escaping", () => {
  it.each([
    ["<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"],
    [`a "quoted" & 'single'`, "a &quot;quoted&quot; &amp; &#39;single&#39;"],
    ["plain", "plain"],
  ])("escapes %j", (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
    expect(html`<p title="${input}">${input}</p>`.text).toBe(`<p title="${expected}">${expected}</p>`);
  });

  it("never lets an interpolated string open a tag", () => {
    fc.assert(fc.property(fc.string(), (text) => !html`${text}`.text.includes("<")));
  });

  it("renders nested fragments and skips null, undefined and false", () => {
    expect(html`${[html`<b>${"x<"}</b>`, null, undefined, false, 3]}`.text).toBe("<b>x&lt;</b>3");
  });
});

describe("phase bar segments", () => {
  it.each([
    ["JIT and overlay overlap: prepare is the longer", { jit: 40, overlay: 90, define: 10, boot: 3000, run: 500 }, [["prepare", 90], ["define", 10], ["boot", 3000], ["run", 500]]],
    ["phases in the order a VM lives them", { teardown: 5, run: 100, idle: 7, start: 2 }, [["start", 2], ["idle", 7], ["run", 100], ["teardown", 5]]],
    ["nothing known", {}, []],
  ] as const)("%s", (_name, phases, expected) => {
    expect(barSegments(phases).map((s) => [s.phase, s.ms])).toEqual(expected);
  });
});

describe("warm-pool readiness", () => {
  const pool = statusDoc().pools[0]!;
  it.each([
    ["target met", { idle: 1 }, 1, "1 of 1 warm: ready", "ok"],
    ["none idle, one booting", { idle: 0, booting: 1 }, 1, "0 of 1 warm: 1 starting", "bad"],
    ["some idle, filling", { idle: 1 }, 2, "1 of 2 warm: filling", "warn"],
    ["no warm pool", { idle: 0 }, 0, "no warm pool (target 0)", "ok"],
  ] as const)("%s", (_name, counts, target, label, tone) => {
    const readiness = warmReadiness({ ...pool, target, counts: { provisioning: 0, booting: 0, busy: 0, ...counts } });
    expect(readiness).toEqual({ label, tone });
  });
});

describe("guard view", () => {
  it.each([
    ["not this host's guard", undefined, undefined, { kind: "elsewhere" }],
    ["enabled, no round yet", { intervalSeconds: 60 }, undefined, { kind: "pending", intervalSeconds: 60 }],
    ["a failed round", { intervalSeconds: 60 }, { applied: [], error: "GitHub unreachable" }, { kind: "round", at: undefined, error: "GitHub unreachable", repositories: [] }],
  ] as const)("%s", (_name, enabled, round, expected) => {
    expect(guardView(enabled, round ? { ...round, applied: [] } : undefined)).toEqual(expected);
  });
});

describe("the status page", () => {
  it("says so before the first pass, and still refreshes", () => {
    const page = renderStatusPage({ status: undefined, inventory: undefined, guard: elsewhere });
    expect(page).toContain("No reconcile pass has completed yet");
    expect(page).toContain('<meta http-equiv="refresh"');
    expect(page).toContain('<main id="status" aria-live="polite"');
  });

  it("shows pools, VMs with phase and age, and jobs with phase bars on one scale", () => {
    const page = renderStatusPage({
      status: statusDoc({ recentJobs: [job("rf-a", { boot: 3000, run: 1000 }), job("rf-b", { boot: 1000, run: 1000 }, { job: { id: 9, repository: "acme/app", name: "test" } })] }),
      inventory: undefined,
      guard: elsewhere,
    });
    expect(page).toContain("1 of 1 warm: ready");
    // The VM was requested 60 s before the document was generated.
    expect(page).toMatch(/<code>rf-h1-small-a<\/code><\/th><td data-label="Pool">small<\/td><td data-label="Phase"><strong>busy<\/strong><\/td><td data-label="Age">1m00s<\/td>/);
    expect(page).toContain("acme/app · build · #7");
    // Newest first; the longest job (4 s) fills the bar: its 3 s boot is 75%, the other's 1 s boot 25%.
    expect(page.indexOf("rf-b")).toBeLessThan(page.indexOf("rf-a"));
    expect(page).toContain('aria-label="boot 3.0s, run 1.0s"');
    expect(page).toMatch(/phase-boot" style="width:25\.00%"[\s\S]*phase-boot" style="width:75\.00%"/);
    expect(page).toContain("This host does not run the guard");
  });

  it("escapes what comes from GitHub or errors", () => {
    const status = statusDoc({
      vms: [{ name: "rf-x", pool: "small", phase: "busy", times: { requested: t0 }, job: { name: "<img src=x onerror=alert(1)>" } }],
    });
    status.controller.lastError = `libvirt said "<b>no</b>"`;
    const page = renderStatusPage({ status, inventory: undefined, guard: elsewhere });
    expect(page).not.toContain("<img");
    expect(page).not.toContain("<b>no</b>");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain("libvirt said &quot;&lt;b&gt;no&lt;/b&gt;&quot;");
  });

  it.each([
    ["draining", { draining: true, drainingSince: "2026-01-01T12:00:00.000Z" }, "draining: takes no new jobs"],
    ["failed pass", { lastPassOk: false, lastError: "virsh: connection refused" }, "last pass failed"],
    ["setup problem", { setupProblems: ["runner group 1 is not visible to acme/app"] }, "Setup: runner group 1 is not visible to acme/app"],
  ] as const)("names the controller's trouble: %s", (_name, controller, text) => {
    const status = statusDoc();
    Object.assign(status.controller, controller);
    expect(renderStatusPage({ status, inventory: undefined, guard: elsewhere })).toContain(text);
  });

  it("shows the guard's latest decision with its triggers", () => {
    const guard: GuardView = {
      kind: "round",
      at: t0,
      repositories: [
        { repository: "acme/app", state: "rolled-back", action: "rollback", reason: "boot failures", triggers: [{ kind: "boot-failures", message: "3 boots failed on h1" }] },
      ],
    };
    const page = renderStatusPage({ status: statusDoc(), inventory: undefined, guard });
    expect(page).toContain("Last round: <time");
    expect(page).toContain('<span class="badge bad">rolled-back</span>');
    expect(page).toContain("<li><code>boot-failures</code>: 3 boots failed on h1</li>");
  });

  it("lists lost VMs' reasons among the failures and shows inventory counts", () => {
    const page = renderStatusPage({
      status: statusDoc({ failures: { boot_timeout: 2 } }),
      inventory: { version: 1, host: "h1", generatedAt: "", domains: [], overlays: [], secrets: ["s1"], runners: null, records: [] },
      guard: elsewhere,
    });
    expect(page).toContain("2 × VM lost: <code>boot_timeout</code>");
    expect(page).toContain("<dt>Registered runners</dt><dd>unknown (GitHub not read)</dd>");
  });
});
