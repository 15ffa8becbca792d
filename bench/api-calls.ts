/**
 * Every GitHub API call the controller makes, counted where GitHub would count it: at the
 * emulator, by route (token mints and background polling included). Also the polls of queued
 * jobs, each with the runs it had to read, and the hourly projection against the rate limit.
 */
import type { HttpExchange } from "../runtime/emulator/exchange.ts";

/** `GET /repos/{owner}/{repo}/actions/runs/{id}/jobs`: names and ids become placeholders. */
export function routeOf(exchange: Pick<HttpExchange, "method" | "path">): string {
  const path = exchange.path
    .replace(/^\/repos\/[^/]+\/[^/]+/, "/repos/{owner}/{repo}")
    .replace(/^\/orgs\/[^/]+/, "/orgs/{org}")
    .replace(/\/\d+(?=\/|$)/g, "/{id}");
  return `${exchange.method} ${path}`;
}

/** Routes a job causes (its JIT config, its run's trust lookup, a deregistration); the rest is background. */
export const perJobRoutes: readonly RegExp[] = [/generate-jitconfig$/, /\/actions\/runs\/\{id\}$/, /^DELETE .*\/runners\/\{id\}$/];

export interface JobPoll {
  /** Runs the poll read jobs of (queued and in-progress runs). */
  runs: number;
  calls: number;
}

/** Counts exchanges by route while on, and groups the queued-jobs poll's calls into polls. */
export class ApiCallLog {
  private counts = new Map<string, number>();
  private polls: JobPoll[] = [];
  private on = false;

  readonly listener = (exchange: HttpExchange): void => {
    if (!this.on) return;
    const route = routeOf(exchange);
    this.counts.set(route, (this.counts.get(route) ?? 0) + 1);
    if (route === "GET /repos/{owner}/{repo}/actions/runs") {
      // Each poll lists queued runs, then in-progress runs, then reads each run's jobs.
      if (exchange.query.status === "queued") this.polls.push({ runs: 0, calls: 0 });
      const poll = this.polls.at(-1);
      if (poll) poll.calls++;
    } else if (route === "GET /repos/{owner}/{repo}/actions/runs/{id}/jobs") {
      const poll = this.polls.at(-1);
      if (poll) {
        poll.calls++;
        poll.runs++;
      }
    }
  };

  start(): void {
    this.counts = new Map();
    this.polls = [];
    this.on = true;
  }

  stop(): { calls: Map<string, number>; polls: JobPoll[] } {
    this.on = false;
    return { calls: this.counts, polls: this.polls };
  }
}

export interface CallSplit {
  total: number;
  perJob: number;
  /** Calls a job causes, per job. */
  causedPerJob: number;
  /** Everything else (polling, tokens), per minute of the phase. */
  backgroundPerMinute: number;
}

export function splitCalls(calls: ReadonlyMap<string, number>, jobs: number, durationMs: number): CallSplit {
  let caused = 0;
  let total = 0;
  for (const [route, count] of calls) {
    total += count;
    if (perJobRoutes.some((pattern) => pattern.test(route))) caused += count;
  }
  return { total, perJob: total / jobs, causedPerJob: caused / jobs, backgroundPerMinute: (total - caused) / (durationMs / 60_000) };
}

export interface HourlyProjection {
  jobsPerHour: number;
  caused: number;
  runnerPolls: number;
  jobPolls: number;
  tokens: number;
  total: number;
  /** Installation limit minus the projected use. */
  headroom: number;
  /** Runs per queued-jobs poll at which the projection reaches the limit. */
  runsPerPollAtLimit: number;
}

/**
 * Calls per hour at `jobsPerHour`: each job's own calls, the runner list every `reconcileSeconds`
 * (one page per 100 runners), the queued-jobs poll every `jobPollSeconds` (two run listings plus
 * one call per run it reads), and an installation token per hour.
 */
export function projectHourlyUse(input: {
  jobsPerHour: number;
  causedPerJob: number;
  runsPerPoll: number;
  reconcileSeconds: number;
  jobPollSeconds: number;
  limit: number;
}): HourlyProjection {
  const caused = input.jobsPerHour * input.causedPerJob;
  const runnerPolls = 3600 / input.reconcileSeconds;
  const pollsPerHour = 3600 / input.jobPollSeconds;
  const jobPolls = pollsPerHour * (2 + input.runsPerPoll);
  const tokens = 1;
  const total = caused + runnerPolls + jobPolls + tokens;
  const runsPerPollAtLimit = (input.limit - caused - runnerPolls - tokens) / pollsPerHour - 2;
  return { jobsPerHour: input.jobsPerHour, caused, runnerPolls, jobPolls, tokens, total, headroom: input.limit - total, runsPerPollAtLimit };
}
