/**
 * What GitHub says about jobs, as last heard: queued jobs (demand) and which of our runners
 * took which job. Fed by webhooks (fast) and by polling (the safety net for dropped webhooks).
 *
 * This is a cache of GitHub's state, not state of our own: a restarted controller rebuilds it
 * with one poll, which is why it may live in memory.
 */
import type { WorkflowJob } from "../ports/github.ts";
import type { QueuedJob } from "./demand.ts";
import type { JobAssignment } from "./vm-lifecycle.ts";

/** A job seen starting or finishing is not re-added by a poll that read the queue earlier. */
const goneMemoryMs = 15 * 60_000;
const assignmentMemoryMs = 6 * 60 * 60_000;

export type JobEventAction = "queued" | "waiting" | "in_progress" | "completed";

export class DemandTracker {
  private readonly queued = new Map<number, QueuedJob>();
  private readonly gone = new Map<number, number>();
  private readonly assignments = new Map<string, JobAssignment & { seenAt: number }>();

  /** A `workflow_job` webhook. `untrusted` names why the job must not be served, if known. */
  applyEvent(action: JobEventAction, job: WorkflowJob, now: number, untrusted?: string): void {
    if (action === "queued" || action === "waiting") {
      if (!this.gone.has(job.id)) this.queued.set(job.id, toQueued(job, this.queued.get(job.id)?.seenAt ?? now, untrusted));
      return;
    }
    this.queued.delete(job.id);
    this.gone.set(job.id, now);
    if (job.runnerName) this.assign(job, action === "completed", now);
  }

  /** The result of polling one repository's queued jobs: replaces what we knew of that repository. */
  replaceQueued(repository: string, jobs: readonly WorkflowJob[], now: number, untrusted?: (job: WorkflowJob) => string | undefined): void {
    const seen = new Map<number, number>();
    for (const [id, job] of this.queued) {
      if (job.repository !== repository) continue;
      seen.set(id, job.seenAt);
      this.queued.delete(id);
    }
    for (const job of jobs) {
      if (this.gone.has(job.id)) continue;
      this.queued.set(job.id, toQueued(job, seen.get(job.id) ?? now, untrusted?.(job)));
    }
  }

  /** Jobs a poll found in progress: tells which of our runners are busy with what. */
  noteInProgress(jobs: readonly WorkflowJob[], now: number): void {
    for (const job of jobs) {
      this.queued.delete(job.id);
      this.gone.set(job.id, now);
      if (job.runnerName) this.assign(job, false, now);
    }
  }

  queuedJobs(): QueuedJob[] {
    return [...this.queued.values()];
  }

  /** Jobs seen starting or ending (webhook or poll) in the last 15 minutes. */
  goneJobIds(): number[] {
    return [...this.gone.keys()];
  }

  assignmentsByRunner(): Map<string, JobAssignment> {
    return new Map(this.assignments);
  }

  prune(now: number): void {
    for (const [id, at] of this.gone) if (now - at > goneMemoryMs) this.gone.delete(id);
    for (const [name, a] of this.assignments) if (now - a.seenAt > assignmentMemoryMs) this.assignments.delete(name);
  }

  private assign(job: WorkflowJob, completed: boolean, now: number): void {
    const previous = this.assignments.get(job.runnerName!);
    const startedAt = parseTime(job.startedAt) ?? previous?.startedAt;
    const queuedAt = parseTime(job.createdAt);
    this.assignments.set(job.runnerName!, {
      runnerName: job.runnerName!,
      job: {
        id: job.id,
        runId: job.runId,
        repository: job.repository,
        ...(queuedAt === undefined ? {} : { queuedAt }),
        ...(job.conclusion ? { conclusion: job.conclusion } : {}),
      },
      ...(startedAt === undefined ? {} : { startedAt }),
      completed: completed || previous?.completed === true,
      noticedAt: previous?.noticedAt ?? now,
      seenAt: now,
    });
  }
}

function toQueued(job: WorkflowJob, seenAt: number, untrusted: string | undefined): QueuedJob {
  return {
    id: job.id,
    runId: job.runId,
    repository: job.repository,
    labels: job.labels,
    queuedAt: parseTime(job.createdAt) ?? seenAt,
    seenAt,
    ...(untrusted === undefined ? {} : { untrusted }),
  };
}

function parseTime(iso: string | null | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
