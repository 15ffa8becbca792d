/**
 * Reads GitHub in the background for the reconcile loop: the runner list at most once per
 * `reconcileSeconds` (sooner when a webhook says something changed) and the queued jobs once
 * per `jobPollSeconds`. A pass never waits for GitHub: under rate limiting a read can take a
 * minute, and boot timeouts and teardowns must not wait that long.
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Clock } from "../ports/clock.ts";
import type { GitHub, RateLimitInfo, RunnerInfo } from "../ports/github.ts";
import type { DemandTracker } from "./demand-tracker.ts";

export class GitHubObserver {
  /** Last time GitHub answered a read. */
  okAt: number | undefined;
  private runnersReadAt = 0;
  private jobsPolledAt = 0;
  private fresh: RunnerInfo[] | undefined;
  private runnersWanted = false;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      config: ControllerConfig;
      github: GitHub;
      demand: DemandTracker;
      clock: Clock;
      metrics: Metrics;
      logger: Logger;
      prefix: string;
      /** Called when a read brought news, so the loop runs a pass with it. */
      onUpdate: () => void;
    },
  ) {}

  /** Asks for the runner list to be read again soon (a webhook said something changed). */
  wantRunners(): void {
    this.runnersWanted = true;
  }

  /** Starts the reads that are due, unless a read is already under way. Never waits. */
  poll(): void {
    if (this.reading) return;
    const { config } = this.deps;
    const now = this.deps.clock.now();
    const runnersDue = this.runnersWanted || now - this.runnersReadAt >= config.timing.reconcileSeconds * 1000;
    const jobsDue = this.jobsPolledAt === 0 || now - this.jobsPolledAt >= config.timing.jobPollSeconds * 1000;
    if (!runnersDue && !jobsDue) return;
    this.runnersWanted = false;
    this.reading = this.read(runnersDue, jobsDue).finally(() => {
      this.reading = undefined;
    });
  }

  /**
   * The runner list read since the last call, handed out once: orphan detection must act on
   * each list at most once, or it would delete, pass after pass, registrations that teardowns
   * already removed.
   */
  takeFreshRunners(): RunnerInfo[] | undefined {
    const runners = this.fresh;
    this.fresh = undefined;
    return runners;
  }

  rateLimit(): RateLimitInfo | undefined {
    return this.deps.github.rateLimit();
  }

  /** Resolves when the read under way (if any) is done. */
  async settle(): Promise<void> {
    await this.reading;
  }

  private async read(runnersDue: boolean, jobsDue: boolean): Promise<void> {
    const { config, github, demand, clock, metrics, logger } = this.deps;
    const started = clock.now();
    try {
      if (runnersDue) {
        this.fresh = await github.listRunners(this.deps.prefix);
        this.runnersReadAt = started;
      }
      if (jobsDue) {
        for (const repository of config.github.repositories) {
          demand.replaceQueued(repository, await github.listJobs(repository, "queued"), clock.now());
        }
        this.jobsPolledAt = started;
      }
      this.okAt = clock.now();
    } catch (error) {
      // The loop keeps working from what it knows: VMs can still be torn down, timeouts fire.
      metrics.reconcileErrors.inc({ stage: "github" });
      logger.warn({ event: "github_unreachable", err: error instanceof Error ? error.message : String(error) }, "GitHub read failed");
      // Try again at the next tick, not at once.
      if (runnersDue) this.runnersReadAt = started;
      if (jobsDue) this.jobsPolledAt = started;
    }
    const limit = github.rateLimit();
    if (limit) metrics.githubRateLimitRemaining.set(limit.remaining);
    this.deps.onUpdate();
  }
}
