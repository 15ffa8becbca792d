/**
 * `fleet status`: each controller's health and status document, and how to show them. The
 * verdict is the worst of all controllers: unreachable, then degraded, then healthy.
 */
import { renderCacheTable } from "./cache-table.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import { readHealth, readStatus, type HealthAnswer } from "./controller-client.ts";
import { formatDuration } from "./duration.ts";
import { fleetJobEnds, type FleetJobEnd } from "../controller/fleet-history.ts";
import { setupMs } from "./job-timings.ts";
import { renderTable } from "./table.ts";

export interface ControllerReport {
  url: string;
  /** The host name the stack gave it, or the one its status document says. */
  name?: string;
  reachable: boolean;
  error?: string;
  health?: HealthAnswer;
  status?: StatusDocument;
}

export type FleetVerdict = "healthy" | "degraded" | "unreachable";

export interface FleetStatus {
  verdict: FleetVerdict;
  controllers: ControllerReport[];
}

export async function readControllerReport(url: string, name?: string, timeoutMs?: number): Promise<ControllerReport> {
  const [health, status] = await Promise.all([readHealth(url, timeoutMs), readStatus(url, timeoutMs)]);
  const report: ControllerReport = { url, reachable: health.ok || status.ok };
  if (name !== undefined) report.name = name;
  else if (status.ok) report.name = status.value.host;
  if (health.ok) report.health = health.value;
  if (status.ok) report.status = status.value;
  const errors = [health.ok ? undefined : `/healthz: ${health.error}`, status.ok ? undefined : `/status: ${status.error}`].filter(Boolean);
  if (errors.length > 0) report.error = errors.join("; ");
  return report;
}

export function controllerVerdict(report: ControllerReport): FleetVerdict {
  if (!report.reachable) return "unreachable";
  if (!report.health?.healthy || !report.status) return "degraded";
  return "healthy";
}

export function fleetVerdict(reports: readonly ControllerReport[]): FleetVerdict {
  const verdicts = reports.map(controllerVerdict);
  if (verdicts.includes("unreachable")) return "unreachable";
  if (verdicts.includes("degraded")) return "degraded";
  return "healthy";
}

export async function readFleetStatus(controllers: readonly { url: string; name?: string }[], timeoutMs?: number): Promise<FleetStatus> {
  const reports = await Promise.all(controllers.map((c) => readControllerReport(c.url, c.name, timeoutMs)));
  return { verdict: fleetVerdict(reports), controllers: reports };
}

const ago = (now: number, iso: string | null | undefined) => (iso ? `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago` : "never");

/** The human view: controllers, pools, VMs and each host's latest jobs with phase timings. */
export function renderFleetStatus(fleet: FleetStatus, now: number, jobsPerHost = 10): string {
  const out: string[] = [];
  out.push(
    renderTable(
      ["HOST", "CONTROLLER", "STATE", "LAST PASS", "DRAINING", "VMS", "JOBS", "FAILURES"],
      fleet.controllers.map((c) => {
        const s = c.status;
        const failures = s ? Object.entries(s.failures).map(([reason, n]) => `${reason}:${n}`).join(",") : "";
        return [
          c.name ?? "?",
          c.url,
          controllerVerdict(c),
          s ? ago(now, s.controller.lastPassAt) : "-",
          s ? (s.controller.draining ? `since ${ago(now, s.controller.drainingSince)}` : "no") : "-",
          s ? String(s.vms.length) : "-",
          s ? String(s.recentJobs.filter((j) => j.job !== undefined).length) : "-",
          failures || "-",
        ];
      }),
    ),
  );
  const problems = fleet.controllers.flatMap((c) => [
    ...(c.error ? [`${c.name ?? c.url}: ${c.error}`] : []),
    ...(c.health?.problems ?? []).map((p) => `${c.name ?? c.url}: ${p}`),
  ]);
  if (problems.length > 0) out.push("problems:\n" + problems.map((p) => `  ${p}`).join("\n") + "\n");

  const withStatus = fleet.controllers.filter((c): c is ControllerReport & { status: StatusDocument } => c.status !== undefined);
  // A coordinated fleet: every host as the coordinator knows it, hosts this command was not given too.
  const coordinated = withStatus.find((c) => c.status.fleet)?.status.fleet;
  if (coordinated) {
    const rows = coordinated.hosts.map((h) => {
      const sum = (key: "idle" | "busy" | "starting" | "freeSlots") => String(h.pools.reduce((n, p) => n + p[key], 0));
      return [h.host, h.online ? "online" : "OFFLINE", ago(now, new Date(h.seenAt).toISOString()), sum("idle"), sum("busy"), sum("starting"), sum("freeSlots"), h.draining ? "yes" : "no", h.version];
    });
    out.push("fleet hosts (from the coordinator)\n" + renderTable(["HOST", "STATE", "HEARTBEAT", "IDLE", "BUSY", "STARTING", "FREE", "DRAINING", "VERSION"], rows));
  }
  const pools = withStatus.flatMap((c) =>
    c.status.pools.map((p) => [
      c.status.host,
      p.name,
      `${p.min}/${p.target}/${p.max}${p.sizing === "adaptive" ? " adaptive" : ""}`,
      String(p.desired),
      String(p.queued),
      String(p.counts.provisioning + p.counts.booting),
      String(p.counts.idle),
      String(p.counts.busy),
      String(p.consecutiveFailures),
      p.held ?? (p.backoffUntil ? `backoff until ${p.backoffUntil}` : "-"),
    ]),
  );
  if (pools.length > 0) out.push("pools\n" + renderTable(["HOST", "POOL", "MIN/TARGET/MAX", "DESIRED", "QUEUED", "STARTING", "IDLE", "BUSY", "FAILS", "HELD"], pools));

  out.push(...renderCacheTable(withStatus.map((c) => c.status)));

  const vms = withStatus.flatMap((c) =>
    c.status.vms.map((vm) => [c.status.host, vm.name, vm.pool, vm.phase, formatDuration(now - vm.times.requested), vm.job?.id !== undefined ? `${vm.job.repository ?? ""}#${vm.job.id}` : "-"]),
  );
  out.push(vms.length > 0 ? "vms\n" + renderTable(["HOST", "NAME", "POOL", "PHASE", "AGE", "JOB"], vms) : "vms: none\n");

  // Coordinated: every host's jobs from the coordinator's history, each VM once however many statuses report it.
  const byHost = new Map<string, FleetJobEnd[]>(withStatus.map((c) => [c.status.host, []]));
  for (const end of fleetJobEnds(withStatus.map((c) => c.status)).reverse()) byHost.set(end.host, [...(byHost.get(end.host) ?? []), end]);
  const jobs = [...byHost.values()].flatMap((ends) =>
    ends
      .slice(0, jobsPerHost)
      .map((j) => [
        j.host,
        j.name,
        j.job?.id !== undefined ? `${j.job.repository ?? ""}#${j.job.id}` : "-",
        j.outcome,
        j.reason,
        formatDuration(j.queueWaitMs),
        formatDuration(setupMs(j.times)),
        formatDuration(j.phasesMs.boot),
        formatDuration(j.phasesMs.run),
        formatDuration(j.overheadMs),
        j.times.tornDown !== undefined ? ago(now, new Date(j.times.tornDown).toISOString()) : "-",
      ]),
  );
  out.push(
    jobs.length > 0
      ? `recent jobs (newest first, up to ${jobsPerHost} per host)\n` +
          renderTable(["HOST", "RUNNER", "JOB", "OUTCOME", "REASON", "QUEUE", "SETUP", "BOOT", "RUN", "OVERHEAD", "ENDED"], jobs)
      : "recent jobs: none\n",
  );
  out.push(`verdict: ${fleet.verdict}\n`);
  return out.join("\n");
}
