/**
 * The GitHub port on Octokit: `@octokit/rest` with `@octokit/auth-app` (installation tokens
 * minted and refreshed in-process before they expire), `@octokit/plugin-throttling` (primary and
 * secondary rate limits: waits `retry-after`, a bounded number of times, then gives up with a
 * GitHubError carrying the wait) and `@octokit/plugin-retry` (bounded retries of 5xx).
 *
 * Every HTTP attempt is counted (`onApiCall(route, status)`, route being the template such as
 * `GET /orgs/{org}/actions/runners`) and its rate-limit headers are remembered (`rateLimit()`).
 * Works against api.github.com, GitHub Enterprise (`.../api/v3`) and the emulator alike.
 */
import { createAppAuth } from "@octokit/auth-app";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck/light.js";
import type { Logger } from "../log/logger.ts";
import { systemClock, type Clock } from "../ports/clock.ts";
import {
  GitHubError,
  type CommitStatusInput,
  type GitHub,
  type GitHubScope,
  type JitConfig,
  type JitRequest,
  type RateLimitInfo,
  type RunContext,
  type RunnerGroupInfo,
  type RunnerInfo,
  type WorkflowJob,
} from "../ports/github.ts";
import { createInstallationTokenCache } from "./installation-token-cache.ts";

export type GitHubAuth =
  | { kind: "app"; appId: number; installationId: number; privateKey: string }
  /** Break-glass: a fine-grained personal access token. */
  | { kind: "token"; token: string };

export interface OctokitOptions {
  /** `https://api.github.com`, `https://ghe.example.com/api/v3`, or the emulator's URL. */
  apiUrl: string;
  auth: GitHubAuth;
  /**
   * Called for every HTTP attempt, retries included (except auth-app's own retry of a token
   * request after correcting clock skew), e.g. to count API calls in metrics.
   */
  onApiCall?: (route: string, status: number) => void;
  /** Called with every response's rate-limit headers. */
  onRateLimit?: (info: RateLimitInfo) => void;
  logger?: Logger;
  /** Decides when cached installation tokens are stale. */
  clock?: Clock;
  /** Refresh installation tokens this long before they expire (default 5 minutes). */
  tokenRefreshMarginSeconds?: number;
  /** Retries of 5xx answers (default 2). */
  retries?: number;
  /** Times a rate-limited request is retried after waiting (default 2). */
  rateLimitRetries?: number;
  /** Longest `retry-after` worth waiting for in-process; longer waits fail at once (default 60 s). */
  maxRateLimitWaitSeconds?: number;
  /** Gap between mutating requests; GitHub asks for at least one second (default 1000). */
  writeSpacingMs?: number;
  /** Milliseconds per second of `retry-after` and retry backoff; tests shrink it (default 1000). */
  secondMs?: number;
  userAgent?: string;
}


// Options the counting plugin reads; carried on the Octokit options object.
interface HookOptions {
  onAttempt?: (route: string, status: number, headers: Record<string, unknown> | undefined) => void;
}

/**
 * Registered first so it wraps closest to the HTTP call: plugins registered later (throttling,
 * retry) wrap outside it, so each retry passes through here and is counted.
 */
const apiCallHook: Parameters<typeof Octokit.plugin>[0] = (octokit, pluginOptions) => {
  const options = pluginOptions as HookOptions;
  octokit.hook.wrap("request", async (request, requestOptions) => {
    const route = `${requestOptions.method} ${routeTemplate(requestOptions.url, requestOptions.baseUrl)}`;
    try {
      const response = await request(requestOptions);
      options.onAttempt?.(route, response.status, response.headers as Record<string, unknown>);
      return response;
    } catch (error) {
      const e = error as { status?: unknown; response?: { headers?: Record<string, unknown> } };
      options.onAttempt?.(route, typeof e.status === "number" ? e.status : 0, e.response?.headers);
      throw error;
    }
  });
  return {};
};

const FleetOctokit = Octokit.plugin(apiCallHook, throttling, retry);
export type FleetOctokit = InstanceType<typeof FleetOctokit>;

/** Templates of the routes this module calls, for low-cardinality route labels. */
const knownRoutes = [
  "/orgs/{org}/actions/runners",
  "/repos/{owner}/{repo}/actions/runners",
  "/repos/{owner}/{repo}/actions/runs",
  "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs",
].map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`) }));

/**
 * The route template of a request. Most calls carry it (`/orgs/{org}/...`); pages after the
 * first (`paginate`) carry the absolute URL from the Link header instead, mapped back here.
 */
export function routeTemplate(url: string, baseUrl: string): string {
  if (url.includes("{")) return url;
  let path = url.split("?")[0]!;
  if (path.startsWith(baseUrl)) path = path.slice(baseUrl.length);
  else if (/^https?:\/\//.test(path)) path = new URL(path).pathname.replace(/^\/api\/v3(?=\/)/, "");
  return knownRoutes.find((r) => r.pattern.test(path))?.template ?? path.replace(/\/\d+(?=\/|$)/g, "/{id}");
}

function rateLimitFrom(headers: Record<string, unknown> | undefined): RateLimitInfo | undefined {
  const limit = Number(headers?.["x-ratelimit-limit"]);
  const remaining = Number(headers?.["x-ratelimit-remaining"]);
  const reset = Number(headers?.["x-ratelimit-reset"]);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset) || headers?.["x-ratelimit-limit"] === undefined) {
    return undefined;
  }
  return { limit, remaining, reset };
}

/** An authenticated Octokit with the fleet's plugins and hooks (for the stack and ops commands too). */
export function createFleetOctokit(options: OctokitOptions): FleetOctokit {
  const clock = options.clock ?? systemClock;
  const secondMs = options.secondMs ?? 1000;
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const maxWait = options.maxRateLimitWaitSeconds ?? 60;
  const log = options.logger;
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
    const willRetry = retryCount < rateLimitRetries && retryAfter <= maxWait;
    log?.warn({ route: `${request.method} ${request.url}`, retryAfter, retryCount, willRetry }, `GitHub ${kind} rate limit`);
    return willRetry;
  };
  const auth =
    options.auth.kind === "app"
      ? {
          authStrategy: createAppAuth,
          auth: {
            appId: options.auth.appId,
            privateKey: options.auth.privateKey,
            installationId: options.auth.installationId,
            cache: createInstallationTokenCache({ clock, marginMs: (options.tokenRefreshMarginSeconds ?? 300) * 1000 }) as {
              get: (key: string) => string;
              set: (key: string, value: string) => void;
            },
          },
        }
      : { auth: options.auth.token };
  const hookOptions: HookOptions = {
    onAttempt: (route, status, headers) => {
      const info = rateLimitFrom(headers);
      if (info) options.onRateLimit?.(info);
      options.onApiCall?.(route, status);
    },
  };
  return new FleetOctokit({
    baseUrl: options.apiUrl.replace(/\/+$/, ""),
    userAgent: options.userAgent ?? "runner-fleet",
    ...auth,
    ...hookOptions,
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => log?.warn(message),
      // Octokit logs every failed request as an error; the caller decides what a failure means
      // (a 404 on delete is success), so these are debug lines here.
      error: (message: string) => log?.debug(message),
    },
    throttle: {
      // A private id and write group per client: limits are per installation, not per process.
      id: `fleet-${Math.random().toString(36).slice(2)}`,
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: options.writeSpacingMs ?? 1000 }),
      retryAfterBaseValue: secondMs,
      onRateLimit: onLimit("primary"),
      onSecondaryRateLimit: onLimit("secondary"),
    },
    retry: {
      retries: options.retries ?? 2,
      retryAfterBaseValue: secondMs,
      // Rate limits (403/429) belong to the throttling plugin, which honours retry-after.
      doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451],
    },
  });
}

/** Wraps Octokit's errors into GitHubError (status, and the wait GitHub asked for). */
export function toGitHubError(error: unknown, what: string, clock: Clock = systemClock): GitHubError {
  if (error instanceof GitHubError) return error;
  const e = error as { status?: unknown; message?: unknown; response?: { headers?: Record<string, unknown> } };
  const status = typeof e.status === "number" ? e.status : 0;
  const headers = e.response?.headers ?? {};
  let retryAfter: number | undefined;
  if (headers["retry-after"] !== undefined) retryAfter = Number(headers["retry-after"]);
  else if (headers["x-ratelimit-remaining"] === "0" && headers["x-ratelimit-reset"] !== undefined) {
    retryAfter = Math.max(0, Number(headers["x-ratelimit-reset"]) - Math.floor(clock.now() / 1000));
  }
  const message = typeof e.message === "string" ? e.message : String(error);
  return new GitHubError(`${what}: ${message}`, status, Number.isFinite(retryAfter) ? retryAfter : undefined);
}

export interface OctokitGitHubOptions extends Omit<OctokitOptions, "onRateLimit"> {
  scope: GitHubScope;
}

export interface OctokitGitHub extends GitHub {
  /** The underlying client, for calls the port does not cover. */
  readonly octokit: FleetOctokit;
  /** HTTP requests made so far (retries and token exchanges included). */
  apiCalls(): number;
}

function splitRepository(repository: string): { owner: string; repo: string } {
  const [owner, repo, extra] = repository.split("/");
  if (!owner || !repo || extra !== undefined) throw new GitHubError(`repository must be owner/name, got ${JSON.stringify(repository)}`, 400);
  return { owner, repo };
}

export function createOctokitGitHub(options: OctokitGitHubOptions): OctokitGitHub {
  const clock = options.clock ?? systemClock;
  let lastRateLimit: RateLimitInfo | undefined;
  let calls = 0;
  const octokit = createFleetOctokit({
    ...options,
    onApiCall: (route, status) => {
      calls++;
      options.onApiCall?.(route, status);
    },
    onRateLimit: (info) => {
      lastRateLimit = info;
    },
  });
  const { scope } = options;

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toGitHubError(error, what, clock);
    }
  }

  const toRunner = (r: { id: number; name: string; status: string; busy: boolean; labels: { name: string }[] }): RunnerInfo => ({
    id: r.id,
    name: r.name,
    status: r.status === "online" ? "online" : "offline",
    busy: r.busy,
    labels: r.labels.map((l) => l.name),
  });

  return {
    octokit,
    apiCalls: () => calls,
    rateLimit: () => lastRateLimit,

    generateJitConfig: (request: JitRequest): Promise<JitConfig> =>
      call(`generate JIT config for ${request.name}`, async () => {
        const body = {
          name: request.name,
          runner_group_id: request.runnerGroupId,
          labels: request.labels,
          ...(request.workFolder ? { work_folder: request.workFolder } : {}),
        };
        const { data } =
          scope.kind === "org"
            ? await octokit.request("POST /orgs/{org}/actions/runners/generate-jitconfig", { org: scope.org, ...body })
            : await octokit.request("POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig", { owner: scope.owner, repo: scope.repo, ...body });
        return { runnerId: data.runner.id, encodedJitConfig: data.encoded_jit_config };
      }),

    listRunners: (namePrefix: string): Promise<RunnerInfo[]> =>
      call("list runners", async () => {
        const runners =
          scope.kind === "org"
            ? await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForOrg, { org: scope.org, per_page: 100 })
            : await octokit.paginate(octokit.rest.actions.listSelfHostedRunnersForRepo, { owner: scope.owner, repo: scope.repo, per_page: 100 });
        return runners.filter((r) => r.name.startsWith(namePrefix)).map(toRunner);
      }),

    deleteRunner: (id: number): Promise<void> =>
      call(`delete runner ${id}`, async () => {
        try {
          if (scope.kind === "org") await octokit.rest.actions.deleteSelfHostedRunnerFromOrg({ org: scope.org, runner_id: id });
          else await octokit.rest.actions.deleteSelfHostedRunnerFromRepo({ owner: scope.owner, repo: scope.repo, runner_id: id });
        } catch (error) {
          // Already gone is what we wanted.
          if ((error as { status?: number }).status !== 404) throw error;
        }
      }),

    listJobs: (repository: string, status: "queued" | "in_progress"): Promise<WorkflowJob[]> =>
      call(`list ${status} jobs of ${repository}`, async () => {
        const { owner, repo } = splitRepository(repository);
        // A queued job can sit in a run that is already in progress (its other jobs started).
        const runStatuses = status === "queued" ? (["queued", "in_progress"] as const) : (["in_progress"] as const);
        const runIds = new Set<number>();
        for (const runStatus of runStatuses) {
          const runs = await octokit.paginate(octokit.rest.actions.listWorkflowRunsForRepo, { owner, repo, status: runStatus, per_page: 100 });
          for (const run of runs) runIds.add(run.id);
        }
        const jobs: WorkflowJob[] = [];
        for (const runId of [...runIds].sort((a, b) => a - b)) {
          const runJobs = await octokit.paginate(octokit.rest.actions.listJobsForWorkflowRun, { owner, repo, run_id: runId, per_page: 100 });
          for (const job of runJobs) {
            if (job.status !== status) continue;
            jobs.push({
              id: job.id,
              runId: job.run_id,
              repository: `${owner}/${repo}`,
              labels: job.labels,
              status: job.status,
              conclusion: job.conclusion,
              createdAt: job.created_at,
              // GitHub reports a queued job's started_at as its creation time: not a start.
              startedAt: job.status === "queued" ? null : job.started_at,
              completedAt: job.completed_at ?? null,
              runnerName: job.runner_name,
            });
          }
        }
        return jobs;
      }),

    getRunContext: (repository: string, runId: number): Promise<RunContext> =>
      call(`get run ${runId} of ${repository}`, async () => {
        const { owner, repo } = splitRepository(repository);
        const { data: run } = await octokit.rest.actions.getWorkflowRun({ owner, repo, run_id: runId });
        // `actor` started the run's code path; a re-run by someone else changes only triggering_actor.
        const actor = run.actor ?? run.triggering_actor;
        return {
          runId: run.id,
          event: run.event,
          repositoryId: run.repository.id,
          // The schema says required, but GitHub sends null once a fork's repository is deleted.
          headRepositoryId: (run.head_repository as { id: number } | null | undefined)?.id ?? null,
          actor: { login: actor?.login ?? "ghost", type: actor?.type ?? "User" },
          headBranch: run.head_branch,
          defaultBranch: run.repository.default_branch ?? null,
          headSha: run.head_sha,
          pullRequests: (run.pull_requests ?? []).map((pr) => pr.number),
        };
      }),

    forceCancelRun: (repository: string, runId: number): Promise<void> =>
      call(`force-cancel run ${runId} of ${repository}`, async () => {
        const { owner, repo } = splitRepository(repository);
        try {
          await octokit.rest.actions.forceCancelWorkflowRun({ owner, repo, run_id: runId });
        } catch (error) {
          // 409: the run has completed already, which is what we wanted.
          if ((error as { status?: number }).status !== 409) throw error;
        }
      }),

    setCommitStatus: (repository: string, sha: string, status: CommitStatusInput): Promise<void> =>
      call(`set status ${status.context} on ${sha} of ${repository}`, async () => {
        const { owner, repo } = splitRepository(repository);
        await octokit.rest.repos.createCommitStatus({ owner, repo, sha, ...status });
      }),

    runnerGroup: (id: number): Promise<RunnerGroupInfo | undefined> =>
      call(`get runner group ${id}`, async () => {
        // A repository has no runner groups API: its runners join its default group, id 1.
        if (options.scope.kind === "repo") {
          return id === 1 ? { id, name: "Default", visibility: "repository", allowsPublicRepositories: false } : undefined;
        }
        try {
          // @octokit/rest has no method for runner groups: the typed route instead.
          const { data } = await octokit.request("GET /orgs/{org}/actions/runner-groups/{runner_group_id}", {
            org: options.scope.org,
            runner_group_id: id,
          });
          return { id: data.id, name: data.name, visibility: data.visibility, allowsPublicRepositories: data.allows_public_repositories };
        } catch (error) {
          if ((error as { status?: number }).status === 404) return undefined;
          throw error;
        }
      }),

    getVariable: (repository: string, name: string): Promise<string | undefined> =>
      call(`get variable ${name} of ${repository}`, async () => {
        const { owner, repo } = splitRepository(repository);
        try {
          const { data } = await octokit.rest.actions.getRepoVariable({ owner, repo, name });
          return data.value;
        } catch (error) {
          if ((error as { status?: number }).status === 404) return undefined;
          throw error;
        }
      }),

    setVariable: (repository: string, name: string, value: string): Promise<void> =>
      call(`set variable ${name} of ${repository}`, async () => {
        const { owner, repo } = splitRepository(repository);
        const update = () => octokit.rest.actions.updateRepoVariable({ owner, repo, name, value });
        try {
          await update();
          return;
        } catch (error) {
          if ((error as { status?: number }).status !== 404) throw error;
        }
        try {
          await octokit.rest.actions.createRepoVariable({ owner, repo, name, value });
        } catch (error) {
          // Someone created it between our update and create: update it after all.
          if ((error as { status?: number }).status !== 409) throw error;
          await update();
        }
      }),
  };
}
