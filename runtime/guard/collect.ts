/**
 * One guard round's facts, gathered from the world: every controller's status (over HTTP, or
 * in-process for the guard's own host), each repository's routing state and recent runs from
 * GitHub. Then the pure parts decide (evaluate.ts) per repository.
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import type { StatusDocument } from "../controller/status-report.ts";
import type { FleetOctokit } from "../github/octokit-github.ts";
import { readStatus } from "../ops/controller-client.ts";
import type { Clock } from "../ports/clock.ts";
import { controllerEvidence, type ControllerObservation, type GuardEvidence, type QueueSample } from "./evidence.ts";
import { evaluateGuard, type GuardDecision } from "./evaluate.ts";
import type { GuardConfig } from "./guard-config.ts";
import { recallSightings, rememberRound, type GuardMemory, type GuardMemoryStore } from "./guard-memory.ts";
import type { RunReader } from "./github-runs.ts";
import { analyseRun, findMismatches, isFleetJob, type FleetIdentity, type RunFacts, type RunVerdict } from "./run-analysis.ts";
import { readRoutingState, type RepositoryRouting } from "./routing-variables.ts";

export interface GuardSources {
  config: ControllerConfig;
  guard: GuardConfig;
  octokit: FleetOctokit;
  runs: RunReader;
  clock: Clock;
  memory: GuardMemoryStore;
  /** Base URLs of controllers read over HTTP. */
  controllerUrls: readonly string[];
  /** The guard's own host, in-process (the loop inside the controller). */
  ownStatus?: () => StatusDocument | undefined;
  /** Repositories to assess instead of the configured ones (`fleet restore --repo`). */
  repositories?: readonly string[];
}

export interface RepositoryAssessment {
  repository: string;
  routing: RepositoryRouting;
  decision: GuardDecision;
}

export interface FleetAssessment {
  at: number;
  evidence: GuardEvidence;
  repositories: RepositoryAssessment[];
  memory: GuardMemory;
}

export function guardRepositories(config: ControllerConfig, guard: GuardConfig): string[] {
  return guard.repositories ?? config.github.repositories;
}

export async function observeControllers(urls: readonly string[], ownStatus?: () => StatusDocument | undefined): Promise<ControllerObservation[]> {
  const observations = await Promise.all(
    urls.map(async (url): Promise<ControllerObservation> => {
      const answer = await readStatus(url);
      return answer.ok ? { url, host: answer.value.host, status: answer.value } : { url, error: answer.error };
    }),
  );
  const own = ownStatus?.();
  // Before its first pass the own host has nothing to say; it is not offline either.
  if (own) observations.unshift({ url: "self", host: own.host, status: own });
  return observations;
}

export function fleetIdentity(config: ControllerConfig, observations: readonly ControllerObservation[]): FleetIdentity {
  const poolLabels = config.pools.map((p) => p.labels);
  for (const observation of observations) for (const pool of observation.status?.pools ?? []) poolLabels.push(pool.labels);
  return { runnerPrefix: `${config.namePrefix}-`, poolLabels };
}

/** Trusted-or-unknown jobs queued for the fleet, with their age: a stuck queue is evidence. */
export function waitingSamples(runs: readonly RunFacts[], verdicts: readonly RunVerdict[], fleet: FleetIdentity, now: number): QueueSample[] {
  const untrusted = new Set(verdicts.filter((v) => v.trust === "untrusted").map((v) => `${v.repository}#${v.runId}`));
  const samples: QueueSample[] = [];
  for (const run of runs) {
    if (untrusted.has(`${run.repository}#${run.runId}`)) continue;
    for (const job of run.jobs) {
      if (job.status !== "queued" || !isFleetJob(job, fleet)) continue;
      samples.push({ key: `${run.repository}#${job.id}`, queuedAt: job.createdAt, waitMs: Math.max(0, now - job.createdAt), waiting: true, at: now });
    }
  }
  return samples;
}

/** Reads everything and decides per repository; remembers sightings and triggers. */
export async function assessFleet(sources: GuardSources): Promise<FleetAssessment> {
  const { config, guard } = sources;
  const repositories = sources.repositories ?? guardRepositories(config, guard);
  const memory = await sources.memory.load();
  const seen = await observeControllers(sources.controllerUrls, sources.ownStatus);
  const now = sources.clock.now();
  const observations = recallSightings(seen, memory, now);
  const fleet = fleetIdentity(config, observations);

  const routing = new Map<string, RepositoryRouting>();
  const runs: RunFacts[] = [];
  const verdicts: RunVerdict[] = [];
  for (const repository of repositories) {
    const state = await readRoutingState(sources.octokit, repository);
    routing.set(repository, state);
    const recent = await sources.runs.recentRuns(repository, guard.recentRuns);
    runs.push(...recent);
    verdicts.push(...recent.map((run) => analyseRun(run, { fleet, ...(guard.policy ? { policy: guard.policy } : {}), variable: state })));
  }
  const marked = findMismatches(verdicts, guard.routedWorkflows ? { routedWorkflows: guard.routedWorkflows } : {});

  const fromControllers = controllerEvidence(observations);
  const samples = new Map(waitingSamples(runs, marked, fleet, now).map((s) => [s.key, s]));
  // A job a controller has assigned is no longer waiting, whatever GitHub listed a moment before.
  for (const sample of fromControllers.queueSamples) samples.set(sample.key, sample);
  const evidence: GuardEvidence = { ...fromControllers, queueSamples: [...samples.values()], runs: marked };

  const assessed = repositories.map((repository) => {
    const state = routing.get(repository)!;
    const input = { now, routing: state, evidence, settings: guard, ...(memory.lastTriggerAt !== undefined ? { lastTriggerAt: memory.lastTriggerAt } : {}) };
    return { repository, routing: state, decision: evaluateGuard(input) };
  });
  const next = rememberRound(memory, observations, assessed.some((a) => a.decision.triggers.length > 0), now);
  await sources.memory.save(next);
  return { at: now, evidence, repositories: assessed, memory: next };
}
