/**
 * The status page every controller serves at `/`: the status and inventory documents (and the
 * guard's last round on the guard's host) as one server-rendered HTML page for people. It works
 * without JavaScript (a meta refresh inside <noscript>); with it, a small script fetches the page
 * again and swaps <main>, so the page keeps its scroll position and focus. Pure: data in, HTML
 * out; every value goes through html.ts's escaping. Nothing secret is in its inputs.
 */
import { formatDuration } from "../ops/duration.ts";
import type { GuardRound } from "../guard/guard-loop.ts";
import { html, trusted, type Fragment, type Html } from "./html.ts";
import type { Phase } from "./phase-durations.ts";
import type { InventoryDocument, JobStatus, StatusDocument, VmStatus } from "./status-report.ts";

export const refreshSeconds = 5;
const jobsShown = 20;

/** What the page says about the guard; only the designated host runs it (guard.enabled). */
export type GuardView =
  | { kind: "elsewhere" }
  | { kind: "pending"; intervalSeconds: number }
  | {
      kind: "round";
      at: number | undefined;
      error?: string;
      repositories: { repository: string; state: string; action: string; reason: string; triggers: { kind: string; message: string }[] }[];
    };

export function guardView(enabled: { intervalSeconds: number } | undefined, round: GuardRound | undefined): GuardView {
  if (!enabled) return { kind: "elsewhere" };
  if (!round) return { kind: "pending", intervalSeconds: enabled.intervalSeconds };
  const repositories = (round.assessment?.repositories ?? []).map(({ repository, decision }) => ({
    repository,
    state: decision.state,
    action: decision.action,
    reason: decision.reason,
    triggers: decision.triggers.map(({ kind, message }) => ({ kind, message })),
  }));
  return { kind: "round", at: round.assessment?.at, ...(round.error ? { error: round.error } : {}), repositories };
}

export interface StatusPageInput {
  status: StatusDocument | undefined;
  inventory: InventoryDocument | undefined;
  guard: GuardView;
}

export function renderStatusPage(input: StatusPageInput): string {
  const { status } = input;
  const title = status ? `runner-fleet: ${status.host}` : "runner-fleet controller";
  const body = status ? mainContent(status, input) : html`<p>No reconcile pass has completed yet; this page fills in after the first one.</p>`;
  return (
    "<!doctype html>\n" +
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<noscript><meta http-equiv="refresh" content="${refreshSeconds}"></noscript>
<style>${trusted(stylesheet)}</style>
</head>
<body>
<header><h1>${title}</h1></header>
<main id="status" aria-live="polite" aria-atomic="false">
${body}
</main>
<footer><p>Read-only. The same data as JSON: ${links()}. Refreshes every ${refreshSeconds} s.</p></footer>
<script>${trusted(refreshScript)}</script>
</body>
</html>
`.text
  );
}

function links(): Html[] {
  const paths = ["/status", "/inventory", "/metrics", "/healthz"];
  return paths.map((path, i) => html`${i > 0 ? ", " : ""}<a href="${path}">${path}</a>`);
}

function mainContent(status: StatusDocument, input: StatusPageInput): Html {
  const now = Date.parse(status.generatedAt);
  return html`<p class="summary">${summaryLine(status)} <span class="muted">As of <time datetime="${status.generatedAt}">${status.generatedAt}</time>.</span></p>
${problemsSection(status)}
${poolsSection(status)}
${vmsSection(status.vms, now)}
${jobsSection(status.recentJobs)}
${guardSection(input.guard)}
${hostSection(status, input.inventory)}`;
}

function summaryLine(status: StatusDocument): Html {
  const c = status.controller;
  const state = c.shuttingDown ? "shutting down" : c.draining ? "draining: takes no new jobs" : c.lastPassOk ? "running" : "last pass failed";
  const tone = c.lastPassOk && !c.draining && !c.shuttingDown ? "ok" : "bad";
  return html`<strong class="badge ${tone}">${state}</strong> ${status.vms.length} VMs, ${status.recentJobs.length} recent.`;
}

function problemsSection(status: StatusDocument): Html {
  const c = status.controller;
  const items: Html[] = [];
  if (c.lastError) items.push(html`<li>Last pass: <code>${c.lastError}</code></li>`);
  for (const problem of c.setupProblems) items.push(html`<li>Setup: ${problem}</li>`);
  for (const [reason, count] of Object.entries(status.failures)) items.push(html`<li>${count} × VM lost: <code>${reason}</code></li>`);
  const content = items.length === 0 ? html`<p>None in the last pass or the recent history.</p>` : html`<ul>${items}</ul>`;
  return section("problems", "Errors and failures", content);
}

function section(id: string, heading: string, content: Html | Html[]): Html {
  return html`<section aria-labelledby="h-${id}"><h2 id="h-${id}">${heading}</h2>
${content}
</section>`;
}

/** A row is its header cell (the thing it describes) followed by one cell per further column. */
type Row = readonly [Fragment, ...Fragment[]];

/** On a phone the table stacks into cards; each cell then shows its column's name (data-label). */
function table(caption: string, headers: readonly string[], rows: readonly Row[], empty: string): Html {
  if (rows.length === 0) return html`<p>${empty}</p>`;
  const body = rows.map(
    ([head, ...cells]) =>
      html`<tr><th scope="row">${head}</th>${cells.map((cell, i) => html`<td data-label="${headers[i + 1]}">${cell}</td>`)}</tr>\n`,
  );
  return html`<div class="scroll" role="region" aria-label="${caption}" tabindex="0"><table>
<caption>${caption}</caption>
<thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${body}</tbody>
</table></div>`;
}

/** Warm-pool readiness: idle VMs against the pool's target. */
export function warmReadiness(pool: StatusDocument["pools"][number]): { label: string; tone: "ok" | "warn" | "bad" } {
  const idle = pool.counts.idle;
  if (pool.target === 0) return { label: "no warm pool (target 0)", tone: "ok" };
  const label = `${idle} of ${pool.target} warm`;
  if (idle >= pool.target) return { label: `${label}: ready`, tone: "ok" };
  const coming = pool.counts.provisioning + pool.counts.booting;
  return { label: coming > 0 ? `${label}: ${coming} starting` : `${label}: filling`, tone: idle === 0 ? "bad" : "warn" };
}

function poolsSection(status: StatusDocument): Html {
  const rows = status.pools.map((pool) => {
    const warm = warmReadiness(pool);
    const c = pool.counts;
    const held = pool.held ? html`held: ${pool.held}${pool.backoffUntil ? html` until ${pool.backoffUntil}` : ""}` : "";
    const failures = pool.consecutiveFailures > 0 ? html` ${pool.consecutiveFailures} failures in a row` : "";
    return [
      pool.name,
      html`<span class="badge ${warm.tone}">${warm.label}</span>`,
      `${c.provisioning} / ${c.booting} / ${c.idle} / ${c.busy}`,
      `${pool.min}–${pool.max}, desired ${pool.desired}`,
      pool.queued,
      html`${held || "no"}${failures}`,
      pool.labels.join(", "),
    ] as const;
  });
  const headers = ["Pool", "Warm pool", "Provisioning / booting / idle / busy", "Bounds", "Queued", "Held", "Labels"];
  return section("pools", "Pools", table("Pools: warm readiness, VMs by phase, bounds and queue", headers, rows, "No pools configured."));
}

function vmsSection(vms: readonly VmStatus[], now: number): Html {
  const rows = vms.map((vm) => {
    const age = formatDuration(Math.max(0, now - vm.times.requested));
    return [html`<code>${vm.name}</code>`, vm.pool, html`<strong>${vm.phase}</strong>`, age, vm.job ? jobName(vm.job) : html`<span class="muted">none</span>`] as const;
  });
  return section("vms", "Runner VMs", table("Runner VMs on this host", ["VM", "Pool", "Phase", "Age", "Job"], rows, "No runner VMs right now."));
}

function jobName(job: NonNullable<VmStatus["job"]>): string {
  const parts = [job.repository, job.name, job.id !== undefined ? `#${job.id}` : undefined].filter((p) => p !== undefined);
  return parts.length > 0 ? parts.join(" · ") : "a job";
}

/** The bar's segments, in the order a VM lives them. JIT config and overlay are made together. */
const barPhases: readonly { phase: Phase | "prepare"; label: string }[] = [
  { phase: "prepare", label: "prepare" },
  { phase: "define", label: "define" },
  { phase: "start", label: "start" },
  { phase: "boot", label: "boot" },
  { phase: "idle", label: "idle" },
  { phase: "run", label: "run" },
  { phase: "poweroff", label: "power-off" },
  { phase: "teardown", label: "teardown" },
];

export function barSegments(phasesMs: JobStatus["phasesMs"]): { phase: string; label: string; ms: number }[] {
  const prepare = Math.max(phasesMs.jit ?? 0, phasesMs.overlay ?? 0);
  return barPhases
    .map(({ phase, label }) => ({ phase, label, ms: phase === "prepare" ? prepare : (phasesMs[phase] ?? 0) }))
    .filter((s) => s.ms > 0);
}

const totalMs = (segments: readonly { ms: number }[]): number => segments.reduce((sum, s) => sum + s.ms, 0);

function jobsSection(jobs: readonly JobStatus[]): Html {
  const shown = jobs.slice(-jobsShown).reverse();
  const bars = shown.map((job) => barSegments(job.phasesMs));
  // One scale for every bar, so lengths compare across rows.
  const scale = Math.max(1, ...bars.map(totalMs));
  const rows = shown.map((job, i) => {
    const segments = bars[i]!;
    const description = segments.map((s) => `${s.label} ${formatDuration(s.ms)}`).join(", ") || "no phase timings";
    const bar = html`<div class="bar" role="img" aria-label="${description}">${segments.map(
      (s) => html`<span class="seg phase-${s.phase}" style="width:${((s.ms / scale) * 100).toFixed(2)}%" title="${s.label} ${formatDuration(s.ms)}"></span>`,
    )}</div>`;
    return [
      job.job ? jobName(job.job) : html`<span class="muted">no job</span>`,
      html`<code>${job.name}</code>`,
      html`<span class="badge ${outcomeTone(job.outcome)}">${job.outcome}</span>${job.outcome === "lost" ? html` <code>${job.reason}</code>` : ""}`,
      formatDuration(job.queueWaitMs),
      formatDuration(totalMs(segments)),
      bar,
    ] as const;
  });
  const caption = `The last ${shown.length} runner VMs to end, newest first, with the time each phase took`;
  const content = [
    table(caption, ["Job", "VM", "Outcome", "Queue wait", "Total", "Phases"], rows, "No VM has ended yet."),
    rows.length > 0 ? legend() : html``,
  ];
  return section("jobs", "Recent jobs", content);
}

function outcomeTone(outcome: JobStatus["outcome"]): "ok" | "warn" | "bad" {
  if (outcome === "success" || outcome === "completed" || outcome === "unused") return "ok";
  return outcome === "cancelled" ? "warn" : "bad";
}

function legend(): Html {
  return html`<ul class="legend" aria-label="Phase colours">${barPhases.map(
    ({ phase, label }) => html`<li><span class="swatch phase-${phase}" aria-hidden="true"></span>${label}</li>`,
  )}</ul>`;
}

function guardSection(guard: GuardView): Html {
  if (guard.kind === "elsewhere") {
    return section(
      "guard",
      "Routing guard",
      html`<p>This host does not run the guard. It runs in the controller of the host with <code>guard.enabled</code>: see that host's page, or run <code>fleet guard</code> (a dry run) for its decision now.</p>`,
    );
  }
  if (guard.kind === "pending") return section("guard", "Routing guard", html`<p>The guard runs here; its first round is due within ${guard.intervalSeconds} s.</p>`);
  const when = guard.at !== undefined ? new Date(guard.at).toISOString() : "unknown";
  const rows = guard.repositories.map((r) => {
    const triggers = r.triggers.map((t) => html`<li><code>${t.kind}</code>: ${t.message}</li>`);
    const state = html`<span class="badge ${r.state === "enabled" ? "ok" : "bad"}">${r.state}</span>`;
    return [r.repository, state, r.action, r.reason, triggers.length === 0 ? "none" : html`<ul>${triggers}</ul>`] as const;
  });
  return section("guard", "Routing guard", [
    html`<p>Last round: <time datetime="${guard.at !== undefined ? when : ""}">${when}</time>.${guard.error ? html` <strong class="badge bad">round failed</strong> <code>${guard.error}</code>` : ""}</p>`,
    table("The guard's state and latest decision per repository", ["Repository", "State", "Decision", "Reason", "Triggers"], rows, "No repositories assessed."),
  ]);
}

function hostSection(status: StatusDocument, inventory: InventoryDocument | undefined): Html {
  const { vcpus, memoryMiB } = status.capacity;
  const c = status.controller;
  const facts: [string, string][] = [
    ["Host", status.host],
    ["vCPUs for VMs", `${vcpus.used} of ${vcpus.budget} in use`],
    ["Memory for VMs", `${memoryMiB.used} of ${memoryMiB.budget} MiB in use`],
    ["Controller started", c.startedAt],
    ["Last pass", `${c.lastPassAt ?? "none yet"}${c.lastPassOk ? "" : " (failed)"}`],
    ["GitHub last answered", c.githubOkAt ?? "never"],
    ["GitHub rate limit", c.rateLimit ? `${c.rateLimit.remaining} of ${c.rateLimit.limit} left` : "unknown"],
    ["Draining", c.draining ? `since ${c.drainingSince ?? "?"}` : "no"],
  ];
  if (inventory) {
    facts.push(["libvirt domains", String(inventory.domains.length)]);
    facts.push(["Overlays", String(inventory.overlays.length)]);
    facts.push(["JIT config files", String(inventory.secrets.length)]);
    facts.push(["Registered runners", inventory.runners === null ? "unknown (GitHub not read)" : String(inventory.runners.length)]);
  }
  return section("host", "Host", html`<dl class="facts">${facts.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`);
}

// Colours: text ≥ 4.5:1 on its background (WCAG AA) in both schemes; phase colours are
// distinguishable and each bar also carries its timings as text (aria-label, title, legend).
const stylesheet = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--ok:#116329;--okbg:#dafbe1;--warn:#7d4e00;--warnbg:#fff8c5;--bad:#a40e26;--badbg:#ffebe9;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9da7b3;--line:#30363d;--ok:#7ee787;--okbg:#0f2e1a;--warn:#f2cc60;--warnbg:#33260a;--bad:#ffa198;--badbg:#3d1116;--link:#79c0ff}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--fg)}
header,main,footer{max-width:72rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.5rem;margin:1rem 0 .5rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem;border-bottom:1px solid var(--line)}
a{color:var(--link)}a:focus-visible,.scroll:focus-visible{outline:3px solid var(--link);outline-offset:2px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;color:var(--muted);padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.35rem .5rem;border-bottom:1px solid var(--line)}
thead th{font-weight:600;white-space:nowrap}
td ul{margin:0;padding-left:1rem}
.badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-weight:600;white-space:nowrap}
.ok{color:var(--ok);background:var(--okbg)}.warn{color:var(--warn);background:var(--warnbg)}.bad{color:var(--bad);background:var(--badbg)}
.bar{min-width:10rem}
td:last-child .bar{width:100%}
.bar{display:flex;height:1.1rem;background:var(--line);border-radius:.2rem;overflow:hidden}
.seg{display:block;height:100%;min-width:2px}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0;font-size:.9rem}
.swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:-.1rem;border-radius:.15rem}
.phase-prepare{background:#8250df}.phase-define{background:#6e7781}.phase-start{background:#0969da}.phase-boot{background:#1f883d}
.phase-idle{background:#bf8700}.phase-run{background:#cf222e}.phase-poweroff{background:#bc4c00}.phase-teardown{background:#424a53}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:.25rem 1rem;margin:0}
.facts div{padding:.25rem 0;border-bottom:1px solid var(--line)}dt{color:var(--muted);font-size:.9rem}dd{margin:0}
footer{margin:2rem auto;color:var(--muted);font-size:.9rem}
main[data-stale]::before{content:"Cannot reach the controller: showing the last page it sent.";display:block;margin:.5rem 0;padding:.25rem .5rem;color:var(--bad);background:var(--badbg);font-weight:600}
@media (max-width:40rem){
  table,thead,tbody,tr,th,td,caption{display:block}
  thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  tr{border:1px solid var(--line);border-radius:.3rem;margin:.5rem 0;padding:.25rem}
  th,td{border:0;padding:.15rem .35rem}
  td[data-label]::before{content:attr(data-label) ": ";color:var(--muted)}
}
`;

// With JavaScript, fetch the page again and swap <main>'s content; on failure, say so and keep
// the last good content. The meta refresh in <noscript> covers browsers without it.
const refreshScript = `
(function(){
  var main=document.getElementById("status");
  async function refresh(){
    try{
      var res=await fetch(location.pathname,{headers:{accept:"text/html"},cache:"no-store"});
      var doc=new DOMParser().parseFromString(await res.text(),"text/html");
      var next=doc.getElementById("status");
      if(next&&next.innerHTML!==main.innerHTML)main.innerHTML=next.innerHTML;
      main.removeAttribute("data-stale");
    }catch(e){main.setAttribute("data-stale","true")}
  }
  setInterval(refresh,${refreshSeconds * 1000});
})();
`;
