/**
 * A job trace: one JSON object per line, one line per job, with the fields of GitHub's jobs API
 * (`GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs`) that pool sizing needs:
 *   {"id": 1, "run_id": 10, "labels": ["self-hosted", "linux"], "created_at": "…Z",
 *    "started_at": "…Z", "completed_at": "…Z"}
 * `created_at` is required; the job's run time is `completed_at - started_at` (5 minutes when
 * either is missing). Format and export recipes: docs/pool-sizing.md.
 */
import { z } from "zod";

export const defaultJobMs = 5 * 60_000;

const isoTime = z.string().refine((text) => !Number.isNaN(Date.parse(text)), "expected an ISO 8601 time");

const traceLineSchema = z.object({
  id: z.number().int().optional(),
  run_id: z.number().int().optional(),
  labels: z.array(z.string()).optional(),
  created_at: isoTime,
  started_at: isoTime.nullish(),
  completed_at: isoTime.nullish(),
});

export interface TraceJob {
  id?: number;
  runId?: number;
  labels: string[];
  /** Epoch ms the job was queued. */
  queuedAt: number;
  /** How long it ran once it had a runner. */
  runMs: number;
}

/** Parses a trace, oldest job first. Throws naming the line and field of the first bad line. */
export function parseTrace(text: string, source = "trace"): TraceJob[] {
  const jobs: TraceJob[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`${source}:${i + 1}: not a JSON object`);
    }
    const parsed = traceLineSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${source}:${i + 1}: ${issue.path.join(".") || "line"}: ${issue.message}`);
    }
    const job = parsed.data;
    const started = job.started_at ? Date.parse(job.started_at) : undefined;
    const completed = job.completed_at ? Date.parse(job.completed_at) : undefined;
    const runMs = started !== undefined && completed !== undefined && completed >= started ? completed - started : defaultJobMs;
    jobs.push({
      ...(job.id === undefined ? {} : { id: job.id }),
      ...(job.run_id === undefined ? {} : { runId: job.run_id }),
      labels: job.labels ?? [],
      queuedAt: Date.parse(job.created_at),
      runMs,
    });
  });
  if (jobs.length === 0) throw new Error(`${source}: no jobs`);
  return jobs.sort((a, b) => a.queuedAt - b.queuedAt);
}

const dayMs = 86_400_000;

/** The UTC day to replay: `day` (YYYY-MM-DD), or the trace's last. Jobs before it are history. */
export function replayDay(jobs: readonly TraceJob[], day?: string): { from: number; to: number } {
  if (day === undefined) {
    const from = Math.floor(jobs[jobs.length - 1]!.queuedAt / dayMs) * dayMs;
    return { from, to: from + dayMs };
  }
  const from = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (Number.isNaN(from)) throw new Error(`--day: expected YYYY-MM-DD, got "${day}"`);
  if (!jobs.some((j) => j.queuedAt >= from && j.queuedAt < from + dayMs)) throw new Error(`--day: the trace has no jobs on ${day}`);
  return { from, to: from + dayMs };
}
