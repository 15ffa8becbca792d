/**
 * The GitHub port's contract: what the controller may rely on, whichever implementation it
 * gets. Run by test/unit/github/*.test.ts against `createOctokitGitHub` talking to the emulator
 * on loopback and against the in-memory `MemoryGitHub`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubError, type GitHub } from "../../runtime/ports/github.ts";

export interface ContractJobSpec {
  repository: string;
  labels: string[];
  event?: { name: string; sender?: string; pullRequest?: { number: number; fromFork: boolean } };
}

/** One implementation under test plus the levers the suite needs to create GitHub-side facts. */
export interface GitHubContractSubject {
  github: GitHub;
  /** The repository jobs and variables live in (inside the port's scope). */
  repository: string;
  /** A second repository in the same scope. */
  otherRepository: string;
  enqueueJob(spec: ContractJobSpec): Promise<{ jobId: number; runId: number }>;
  /** A runner with `labels` (not made through the port) comes online and takes the job. */
  startJob(jobId: number, labels: string[]): Promise<{ runnerName: string }>;
  /** The job's status and conclusion as GitHub shows them now. */
  jobState(jobId: number): Promise<{ status: string; conclusion: string | null }>;
  /** The commit statuses on `sha`, as a pull request's author sees them. */
  commitStatuses(repository: string, sha: string): Promise<{ state: string; context: string; description: string | null }[]>;
  close(): Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<GitHubError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GitHubError);
    return error as GitHubError;
  }
  throw new Error("expected a GitHubError");
}

export function describeGitHubContract(name: string, setup: () => Promise<GitHubContractSubject>): void {
  describe(`GitHub port contract: ${name}`, () => {
    let subject: GitHubContractSubject;
    let github: GitHub;
    let unique = 0;
    const prefix = () => `ct${++unique}-`;

    beforeAll(async () => {
      subject = await setup();
      github = subject.github;
    });
    afterAll(async () => {
      await subject.close();
    });

    describe("runner groups", () => {
      it("describes the default group JIT runners join, never open to public repositories; an unknown id is undefined", async () => {
        const group = await github.runnerGroup(1);
        expect(group).toMatchObject({ id: 1, name: "Default", allowsPublicRepositories: false });
        expect(["all", "repository"]).toContain(group!.visibility);
        expect(await github.runnerGroup(4242)).toBeUndefined();
      });
    });

    describe("runners", () => {
      it("generates a JIT config; the runner is then listed, offline and idle, with its labels", async () => {
        const p = prefix();
        const config = await github.generateJitConfig({ name: `${p}1`, labels: ["rf-small", "linux"], runnerGroupId: 1 });
        expect(config.runnerId).toBeGreaterThan(0);
        expect(config.encodedJitConfig.length).toBeGreaterThan(20);
        const runners = await github.listRunners(p);
        expect(runners).toEqual([{ id: config.runnerId, name: `${p}1`, status: "offline", busy: false, labels: expect.arrayContaining(["self-hosted", "rf-small"]) }]);
      });

      it("lists only runners whose name starts with the prefix, across pages", async () => {
        const p = prefix();
        const other = prefix();
        for (let i = 0; i < 3; i++) await github.generateJitConfig({ name: `${p}${i}`, labels: ["x"], runnerGroupId: 1 });
        await github.generateJitConfig({ name: `${other}0`, labels: ["x"], runnerGroupId: 1 });
        expect((await github.listRunners(p)).map((r) => r.name).sort()).toEqual([`${p}0`, `${p}1`, `${p}2`]);
        expect((await github.listRunners("no-such-prefix-")).length).toBe(0);
      });

      it("sees more than one page of runners", async () => {
        const p = prefix();
        for (let i = 0; i < 105; i++) await github.generateJitConfig({ name: `${p}${i}`, labels: ["x"], runnerGroupId: 1 });
        expect((await github.listRunners(p)).length).toBe(105);
      });

      it("refuses a name already taken with 409", async () => {
        const p = prefix();
        await github.generateJitConfig({ name: `${p}dup`, labels: ["x"], runnerGroupId: 1 });
        expect((await rejection(github.generateJitConfig({ name: `${p}dup`, labels: ["y"], runnerGroupId: 1 }))).status).toBe(409);
      });

      it("refuses no labels or more than 100 with 422, and an unknown runner group with 404", async () => {
        expect((await rejection(github.generateJitConfig({ name: `${prefix()}x`, labels: [], runnerGroupId: 1 }))).status).toBe(422);
        const many = Array.from({ length: 101 }, (_, i) => `l${i}`);
        expect((await rejection(github.generateJitConfig({ name: `${prefix()}x`, labels: many, runnerGroupId: 1 }))).status).toBe(422);
        expect((await rejection(github.generateJitConfig({ name: `${prefix()}x`, labels: ["x"], runnerGroupId: 4242 }))).status).toBe(404);
      });

      it("deletes a runner, and deleting again (or an id that never existed) succeeds", async () => {
        const p = prefix();
        const { runnerId } = await github.generateJitConfig({ name: `${p}gone`, labels: ["x"], runnerGroupId: 1 });
        await github.deleteRunner(runnerId);
        expect(await github.listRunners(p)).toEqual([]);
        await expect(github.deleteRunner(runnerId)).resolves.toBeUndefined();
        await expect(github.deleteRunner(987654321)).resolves.toBeUndefined();
        // The name is free again.
        await expect(github.generateJitConfig({ name: `${p}gone`, labels: ["x"], runnerGroupId: 1 })).resolves.toMatchObject({ runnerId: expect.any(Number) });
      });
    });

    describe("jobs", () => {
      it("lists queued jobs of a repository, then the started one as in progress with its runner", async () => {
        const labels = [`${prefix()}label`];
        const first = await subject.enqueueJob({ repository: subject.repository, labels });
        const second = await subject.enqueueJob({ repository: subject.repository, labels });
        const elsewhere = await subject.enqueueJob({ repository: subject.otherRepository, labels });
        const queued = await github.listJobs(subject.repository, "queued");
        const mine = queued.filter((j) => j.labels[0] === labels[0]);
        expect(mine.map((j) => j.id).sort()).toEqual([first.jobId, second.jobId].sort());
        expect(mine[0]).toMatchObject({ repository: subject.repository, status: "queued", conclusion: null, startedAt: null, completedAt: null, runnerName: null });
        expect(Number.isNaN(Date.parse(mine[0]!.createdAt))).toBe(false);
        expect(queued.some((j) => j.id === elsewhere.jobId)).toBe(false);

        const { runnerName } = await subject.startJob(first.jobId, labels);
        const running = (await github.listJobs(subject.repository, "in_progress")).filter((j) => j.labels[0] === labels[0]);
        expect(running).toEqual([expect.objectContaining({ id: first.jobId, runId: first.runId, status: "in_progress", runnerName })]);
        expect(running[0]!.startedAt).not.toBeNull();
        expect((await github.listJobs(subject.repository, "queued")).map((j) => j.id)).not.toContain(first.jobId);
      });

      it("refuses with 422 to delete a runner while it runs a job", async () => {
        const labels = [`${prefix()}busy`];
        const { jobId } = await subject.enqueueJob({ repository: subject.repository, labels });
        const { runnerName } = await subject.startJob(jobId, labels);
        const runner = (await github.listRunners(runnerName)).find((r) => r.name === runnerName)!;
        expect(runner).toMatchObject({ busy: true, status: "online" });
        expect((await rejection(github.deleteRunner(runner.id))).status).toBe(422);
      });
    });

    describe("run context (for the trust check)", () => {
      it("describes a push: the head repository is the repository", async () => {
        const { runId } = await subject.enqueueJob({ repository: subject.repository, labels: ["x"], event: { name: "push", sender: "alice" } });
        const context = await github.getRunContext(subject.repository, runId);
        expect(context).toMatchObject({ runId, event: "push", actor: { login: "alice", type: "User" }, pullRequests: [] });
        expect(context.headRepositoryId).toBe(context.repositoryId);
      });

      it("describes a same-repository pull request with its number", async () => {
        const { runId } = await subject.enqueueJob({
          repository: subject.repository,
          labels: ["x"],
          event: { name: "pull_request", sender: "bob", pullRequest: { number: 12, fromFork: false } },
        });
        const context = await github.getRunContext(subject.repository, runId);
        expect(context).toMatchObject({ event: "pull_request", pullRequests: [12], actor: { login: "bob" } });
        expect(context.headRepositoryId).toBe(context.repositoryId);
      });

      it("describes a fork pull request: another head repository and no pull request numbers", async () => {
        const { runId } = await subject.enqueueJob({
          repository: subject.repository,
          labels: ["x"],
          event: { name: "pull_request", sender: "mallory", pullRequest: { number: 13, fromFork: true } },
        });
        const context = await github.getRunContext(subject.repository, runId);
        expect(context.headRepositoryId).not.toBe(context.repositoryId);
        expect(context.pullRequests).toEqual([]);
      });

      it("answers 404 for a run that does not exist", async () => {
        expect((await rejection(github.getRunContext(subject.repository, 123456789))).status).toBe(404);
      });

      it("names a bot's run by its actor's login", async () => {
        const { runId } = await subject.enqueueJob({ repository: subject.repository, labels: ["x"], event: { name: "pull_request", sender: "dependabot[bot]", pullRequest: { number: 15, fromFork: false } } });
        expect((await github.getRunContext(subject.repository, runId)).actor).toEqual({ login: "dependabot[bot]", type: "Bot" });
      });

      it("names the run's head commit", async () => {
        const { runId } = await subject.enqueueJob({ repository: subject.repository, labels: ["x"] });
        expect((await github.getRunContext(subject.repository, runId)).headSha).toMatch(/^[0-9a-f]{40}$/);
      });
    });

    describe("refusing a run (cancel and say why)", () => {
      it("force-cancels a queued run: its job ends cancelled and is no longer queued; again succeeds", async () => {
        const labels = [`${prefix()}refused`];
        const { jobId, runId } = await subject.enqueueJob({ repository: subject.repository, labels });
        await github.forceCancelRun(subject.repository, runId);
        expect(await subject.jobState(jobId)).toEqual({ status: "completed", conclusion: "cancelled" });
        expect((await github.listJobs(subject.repository, "queued")).map((j) => j.id)).not.toContain(jobId);
        await expect(github.forceCancelRun(subject.repository, runId)).resolves.toBeUndefined();
      });

      it("force-cancels a running job without its runner's help; the runner is then no longer busy", async () => {
        const labels = [`${prefix()}running`];
        const { jobId, runId } = await subject.enqueueJob({ repository: subject.repository, labels });
        const { runnerName } = await subject.startJob(jobId, labels);
        await github.forceCancelRun(subject.repository, runId);
        expect(await subject.jobState(jobId)).toEqual({ status: "completed", conclusion: "cancelled" });
        const runner = (await github.listRunners(runnerName)).find((r) => r.name === runnerName);
        // An ephemeral runner is removed with its job; if still listed, it is idle and deletable.
        if (runner) {
          expect(runner.busy).toBe(false);
          await github.deleteRunner(runner.id);
        }
        expect((await github.listRunners(runnerName)).filter((r) => r.name === runnerName)).toEqual([]);
      });

      it("answers 404 when cancelling a run that does not exist", async () => {
        expect((await rejection(github.forceCancelRun(subject.repository, 123456789))).status).toBe(404);
      });

      it("sets a commit status on a run's head commit, also a fork's, that the pull request shows", async () => {
        const { runId } = await subject.enqueueJob({
          repository: subject.repository,
          labels: ["x"],
          event: { name: "pull_request", sender: "mallory", pullRequest: { number: 14, fromFork: true } },
        });
        const { headSha } = await github.getRunContext(subject.repository, runId);
        const status = { state: "failure" as const, context: "runner-fleet/trust", description: "refused: fork" };
        await github.setCommitStatus(subject.repository, headSha, status);
        expect(await subject.commitStatuses(subject.repository, headSha)).toEqual([status]);
      });
    });

    describe("variables", () => {
      it("reads undefined for a missing variable, then creates, reads and updates it", async () => {
        const name = `FLEET_${unique++}`;
        expect(await github.getVariable(subject.repository, name)).toBeUndefined();
        await github.setVariable(subject.repository, name, "one");
        expect(await github.getVariable(subject.repository, name)).toBe("one");
        await github.setVariable(subject.repository, name, "two");
        expect(await github.getVariable(subject.repository, name)).toBe("two");
        // Names are case-insensitive on GitHub.
        expect(await github.getVariable(subject.repository, name.toLowerCase())).toBe("two");
        expect(await github.getVariable(subject.otherRepository, name)).toBeUndefined();
      });
    });

    describe("rate limits", () => {
      it("reports the last rate-limit state once a call was made", async () => {
        await github.listRunners("any-");
        const info = github.rateLimit();
        expect(info).toBeDefined();
        expect(info!.remaining).toBeLessThanOrEqual(info!.limit);
        expect(info!.reset * 1000).toBeGreaterThan(Date.now() - 1000);
      });
    });
  });
}
