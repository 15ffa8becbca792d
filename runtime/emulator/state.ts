/**
 * The emulator's in-memory model of the slice of GitHub we use: accounts, repositories, one
 * GitHub App and its installations, runner groups, runners, workflow runs and jobs, Actions
 * variables and pull requests. Plain records in maps; route modules read and change them.
 *
 * Names are case-insensitive on GitHub, so every map is keyed by the lower-cased name while the
 * records keep the spelling they were created with.
 */
import type { ClockSample } from "../protocol/clock-sample.ts";
import type { Conclusion, JobStep } from "../protocol/runner-api.ts";

export interface Account {
  id: number;
  login: string;
  type: "Organization" | "User" | "Bot";
}

export interface Repository {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  createdAt: number;
  /** False for repositories that only exist as the head of a pull request (forks, deleted heads). */
  installed: boolean;
  fork: boolean;
}

export interface Installation {
  id: number;
  account: string;
  createdAt: number;
}

export interface RunnerGroup {
  id: number;
  org: string;
  name: string;
  visibility: "all" | "selected" | "private";
  isDefault: boolean;
  allowsPublicRepositories: boolean;
  restrictedToWorkflows: boolean;
  selectedWorkflows: string[];
  selectedRepositoryIds: number[];
}

/** Where a runner is registered. Repository scopes use the repository's full name. */
export type RunnerScope = { kind: "org"; org: string } | { kind: "repo"; repository: string };

export interface RunnerLabel {
  id: number;
  name: string;
  type: "read-only" | "custom";
}

export interface Runner {
  id: number;
  name: string;
  scope: RunnerScope;
  groupId: number;
  labels: RunnerLabel[];
  ephemeral: boolean;
  createdAt: number;
  /**
   * The OAuth client id in the JIT config's .credentials, which the runner protocol takes as the
   * bearer token (no token exchange). Single use: `jitUsed` flips when a session is created.
   */
  clientId: string;
  jitUsed: boolean;
  /** Set by the `runnerNeverConnects` fault: sessions are refused with 503, so it stays offline. */
  neverConnects: boolean;
  sessionId: string | null;
  /** Last time the runner polled (ms); with an open long poll the runner counts as online. */
  lastSeenAt: number | null;
  openPolls: number;
  os: string;
  /** The job assigned to it (delivered or not). */
  jobId: number | null;
}

export interface EventContext {
  name: string;
  sender: { login: string; type: "User" | "Bot" | "Organization" };
  headBranch: string;
  pullRequest?: {
    number: number;
    /** Full name of the head repository; null when it was deleted. */
    headRepository: string | null;
    authorAssociation: string;
  };
}

export interface WorkflowRun {
  id: number;
  runNumber: number;
  repository: string;
  workflowName: string;
  event: EventContext;
  headSha: string;
  /** Full name of the repository the code comes from (a fork, the repo itself, or a ghost). */
  headRepository: string;
  createdAt: number;
}

export interface StepResult {
  number: number;
  name: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: Conclusion | null;
  startedAt: number | null;
  completedAt: number | null;
  /** The start the runner reported, on the runner's own clock (see `Job.runnerClock`). */
  reportedStartedAt: number | null;
  exitCode: number | null;
  log: string;
}

export type JobStatus = "waiting" | "queued" | "in_progress" | "completed";

export interface Job {
  id: number;
  runId: number;
  repository: string;
  name: string;
  labels: string[];
  steps: JobStep[];
  stepResults: StepResult[];
  status: JobStatus;
  conclusion: Conclusion | null;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  timeoutMinutes: number;
  runnerId: number | null;
  runnerName: string | null;
  runnerGroupId: number | null;
  runnerGroupName: string | null;
  /**
   * The runner the scheduler picked. The job stays `queued` (runner fields null, as GitHub shows
   * them) until that runner receives the job message; then it is `in_progress`.
   */
  assignedRunnerId: number | null;
  /** The runner's clock compared with ours when its session opened, as it reported it. */
  runnerClock: ClockSample | null;
}

export interface Variable {
  name: string;
  value: string;
  createdAt: number;
  updatedAt: number;
}

export interface PullRequest {
  number: number;
  repository: string;
  headRepository: string;
  headBranch: string;
  headSha: string;
  author: string;
  authorAssociation: string;
  createdAt: number;
}

/** A commit status (`POST /repos/{owner}/{repo}/statuses/{sha}`), newest last. */
export interface CommitStatus {
  id: number;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: number;
}

export interface AppIdentity {
  id: number;
  slug: string;
  name: string;
  owner: string;
  createdAt: number;
}

export interface IssuedToken {
  installationId: number;
  expiresAt: number;
}

const key = (name: string): string => name.toLowerCase();

export class EmulatorState {
  readonly accounts = new Map<string, Account>();
  readonly repositories = new Map<string, Repository>();
  readonly installations = new Map<number, Installation>();
  /** `org key#id` -> group: every organization has its own default group with id 1. */
  readonly runnerGroups = new Map<string, RunnerGroup>();
  readonly runners = new Map<number, Runner>();
  readonly runs = new Map<number, WorkflowRun>();
  readonly jobs = new Map<number, Job>();
  /** repository key -> variable key -> variable */
  readonly variables = new Map<string, Map<string, Variable>>();
  /** `repository key#number` -> pull request */
  readonly pullRequests = new Map<string, PullRequest>();
  /** `repository key#sha` -> statuses, oldest first */
  readonly commitStatuses = new Map<string, CommitStatus[]>();
  readonly installationTokens = new Map<string, IssuedToken>();
  /** Registration and remove tokens (runner config tokens), with their expiry. */
  readonly runnerTokens = new Map<string, { scope: RunnerScope; kind: "registration" | "remove"; expiresAt: number }>();

  private counters = { account: 5000, repository: 70000, runnerGroup: 1, runner: 0, label: 100, run: 9000000, job: 27000000, status: 310000 };

  constructor(readonly app: AppIdentity) {}

  nextId(kind: keyof EmulatorState["counters"]): number {
    return ++this.counters[kind];
  }

  account(login: string): Account | undefined {
    return this.accounts.get(key(login));
  }

  /** Looks an account up, creating a user for unknown logins (senders of enqueued jobs). */
  ensureAccount(login: string, type: Account["type"] = "User"): Account {
    const existing = this.account(login);
    if (existing) return existing;
    const account: Account = { id: this.nextId("account"), login, type };
    this.accounts.set(key(login), account);
    return account;
  }

  repository(fullName: string): Repository | undefined {
    return this.repositories.get(key(fullName));
  }

  addRepository(
    fullName: string,
    options: { private?: boolean; installed?: boolean; fork?: boolean; createdAt: number; id?: number },
  ): Repository {
    const existing = this.repository(fullName);
    if (existing) return existing;
    const [owner, name] = fullName.split("/") as [string, string];
    this.ensureAccount(owner, this.account(owner)?.type ?? "User");
    const repository: Repository = {
      id: options.id ?? this.nextId("repository"),
      owner: this.account(owner)!.login,
      name,
      fullName: `${this.account(owner)!.login}/${name}`,
      private: options.private ?? true,
      defaultBranch: "main",
      createdAt: options.createdAt,
      installed: options.installed ?? true,
      fork: options.fork ?? false,
    };
    this.repositories.set(key(fullName), repository);
    return repository;
  }

  repositoryById(id: number): Repository | undefined {
    for (const repository of this.repositories.values()) if (repository.id === id) return repository;
    return undefined;
  }

  installationFor(accountLogin: string): Installation | undefined {
    for (const installation of this.installations.values()) {
      if (key(installation.account) === key(accountLogin)) return installation;
    }
    return undefined;
  }

  groupsOf(org: string): RunnerGroup[] {
    return [...this.runnerGroups.values()].filter((g) => key(g.org) === key(org)).sort((a, b) => a.id - b.id);
  }

  group(org: string, id: number): RunnerGroup | undefined {
    return this.runnerGroups.get(`${key(org)}#${id}`);
  }

  putGroup(group: RunnerGroup): void {
    this.runnerGroups.set(`${key(group.org)}#${group.id}`, group);
  }

  deleteGroup(group: RunnerGroup): void {
    this.runnerGroups.delete(`${key(group.org)}#${group.id}`);
  }

  runnersIn(scope: RunnerScope): Runner[] {
    return [...this.runners.values()].filter((r) => sameScope(r.scope, scope)).sort((a, b) => a.id - b.id);
  }

  variablesOf(repository: string): Map<string, Variable> {
    let map = this.variables.get(key(repository));
    if (!map) {
      map = new Map();
      this.variables.set(key(repository), map);
    }
    return map;
  }

  pullRequest(repository: string, number: number): PullRequest | undefined {
    return this.pullRequests.get(`${key(repository)}#${number}`);
  }

  putPullRequest(pr: PullRequest): void {
    this.pullRequests.set(`${key(pr.repository)}#${pr.number}`, pr);
  }

  statusesOf(repository: string, sha: string): CommitStatus[] {
    return this.commitStatuses.get(`${key(repository)}#${sha.toLowerCase()}`) ?? [];
  }

  addStatus(repository: string, sha: string, status: CommitStatus): void {
    this.commitStatuses.set(`${key(repository)}#${sha.toLowerCase()}`, [...this.statusesOf(repository, sha), status]);
  }

  jobsOfRun(runId: number): Job[] {
    return [...this.jobs.values()].filter((j) => j.runId === runId).sort((a, b) => a.id - b.id);
  }
}

export function sameScope(a: RunnerScope, b: RunnerScope): boolean {
  if (a.kind === "org" && b.kind === "org") return key(a.org) === key(b.org);
  if (a.kind === "repo" && b.kind === "repo") return key(a.repository) === key(b.repository);
  return false;
}

/** A run's status and conclusion follow from its jobs, as on GitHub. */
export function runStatus(jobs: readonly Job[]): { status: JobStatus; conclusion: Conclusion | null } {
  if (jobs.length === 0) return { status: "queued", conclusion: null };
  if (jobs.every((j) => j.status === "completed")) {
    const conclusion = jobs.some((j) => j.conclusion === "failure")
      ? "failure"
      : jobs.some((j) => j.conclusion === "cancelled")
        ? "cancelled"
        : "success";
    return { status: "completed", conclusion };
  }
  if (jobs.some((j) => j.status === "in_progress" || j.status === "completed")) return { status: "in_progress", conclusion: null };
  if (jobs.every((j) => j.status === "waiting")) return { status: "waiting", conclusion: null };
  return { status: "queued", conclusion: null };
}

