// The Octokit adapter against the emulator on loopback: the shared contract (org and repository
// scopes), plus what only a real HTTP client shows: token refresh, retries, rate limits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnqueueJobRequest } from "../../../runtime/emulator/job-request.ts";
import { defaultSeed } from "../../../runtime/emulator/seed.ts";
import { createOctokitGitHub, type OctokitGitHubOptions } from "../../../runtime/github/octokit-github.ts";
import { ManualClock } from "../../../runtime/ports/clock.ts";
import type { GitHubScope } from "../../../runtime/ports/github.ts";
import { startCheckedEmulator, type CheckedEmulator } from "../../support/checked-emulator.ts";
import { OpenApiContract } from "../../../runtime/emulator/openapi-check/openapi-contract.ts";
import { ProtocolRunner } from "../../support/protocol-runner.ts";
import { describeGitHubContract, type ContractJobSpec, type GitHubContractSubject } from "../../contract/github.contract.ts";

const contract = new OpenApiContract();

function enqueueSpec(spec: ContractJobSpec): EnqueueJobRequest {
  const pr = spec.event?.pullRequest;
  const owner = spec.repository.split("/")[0]!;
  return {
    repository: spec.repository,
    labels: spec.labels,
    steps: [{ name: "build", run: "true" }],
    ...(spec.event
      ? {
          event: {
            name: spec.event.name,
            ...(spec.event.sender ? { sender: { login: spec.event.sender, type: spec.event.sender.endsWith("[bot]") ? ("Bot" as const) : ("User" as const) } } : {}),
            ...(pr ? { pullRequest: { number: pr.number, headRepository: pr.fromFork ? `fork-of-${owner}/copy` : spec.repository, authorAssociation: "MEMBER" as const } } : {}),
          },
        }
      : {}),
  };
}

async function emulatorSubject(scope: GitHubScope, repository: string, otherRepository: string): Promise<GitHubContractSubject> {
  const lab = await startCheckedEmulator(
    { seed: { ...defaultSeed, users: [{ login: "octo", repositories: ["solo", "solo-other"] }] } },
    contract,
  );
  const account = scope.kind === "org" ? scope.org : scope.owner;
  const github = createOctokitGitHub({
    apiUrl: `${lab.emulator.url}/api/v3`,
    scope,
    auth: { kind: "app", appId: lab.emulator.app.id, installationId: lab.emulator.app.installationId(account), privateKey: lab.emulator.app.privateKey! },
    writeSpacingMs: 0,
    secondMs: 5,
  });
  let starters = 0;
  return {
    github,
    repository,
    otherRepository,
    enqueueJob: async (spec) => lab.emulator.enqueueJob(enqueueSpec(spec)),
    startJob: async (jobId, labels) => {
      // Registered behind the port's back, as a runner of another controller would be.
      const runnerScope = scope.kind === "org" ? { kind: "org" as const, org: scope.org } : { kind: "repo" as const, repository: `${scope.owner}/${scope.repo}` };
      const { encodedJitConfig } = lab.emulator.github.generateJitRunner(runnerScope, { name: `starter-${++starters}`, labels, groupId: 1, workFolder: "_work" });
      const runner = new ProtocolRunner(encodedJitConfig);
      await runner.connect();
      const message = await runner.poll(5);
      if (message?.jobId !== jobId) throw new Error(`the starter runner got ${message?.jobId}, not ${jobId}`);
      return { runnerName: runner.name };
    },
    jobState: async (jobId) => {
      const job = lab.emulator.job(jobId)!;
      return { status: job.status, conclusion: job.conclusion };
    },
    commitStatuses: async (repository, sha) => {
      // Read back through the REST route a pull request page uses (checked against the description).
      const [owner, repo] = repository.split("/") as [string, string];
      const { data } = await lab.installationClient(owner).rest.repos.listCommitStatusesForRef({ owner, repo, ref: sha });
      return data.map((s) => ({ state: s.state, context: s.context, description: s.description }));
    },
    close: () => lab.close(),
  };
}

describeGitHubContract("createOctokitGitHub + emulator (organization)", () => emulatorSubject({ kind: "org", org: "acme" }, "acme/app", "acme/lib"));

describeGitHubContract("createOctokitGitHub + emulator (repository)", async () => {
  // A user-owned repository: runners registered on the repository itself.
  const subject = await emulatorSubject({ kind: "repo", owner: "octo", repo: "solo" }, "octo/solo", "octo/solo-other");
  return subject;
});

describe("createOctokitGitHub: installation tokens", () => {
  // The emulator and the adapter share a clock that the test moves; the JWTs auth-app signs
  // use the real clock, so the emulator also exercises auth-app's clock-skew correction.
  const clock = new ManualClock(Date.now());
  const routes: string[] = [];
  const seenByEmulator: string[] = [];
  let lab: CheckedEmulator;
  beforeAll(async () => {
    lab = await startCheckedEmulator({ clock, onExchange: (e) => seenByEmulator.push(`${e.method} ${e.path} ${e.status}`) }, contract);
  });
  afterAll(async () => {
    await lab.close();
  });

  it("are refreshed in-process before they expire", async () => {
    const github = createOctokitGitHub({
      apiUrl: lab.emulator.url,
      scope: { kind: "org", org: "acme" },
      auth: { kind: "app", appId: lab.emulator.app.id, installationId: lab.emulator.app.installationId("acme"), privateKey: lab.emulator.app.privateKey! },
      clock,
      onApiCall: (route, status) => routes.push(`${route} ${status}`),
    });
    await github.listRunners("x");
    expect(routes).toEqual(["POST /app/installations/{installation_id}/access_tokens 201", "GET /orgs/{org}/actions/runners 200"]);
    await github.listRunners("x");
    expect(routes.slice(2)).toEqual(["GET /orgs/{org}/actions/runners 200"]);
    clock.advance(56 * 60_000); // inside the 5-minute refresh margin of the one-hour token
    const mark = routes.length;
    const emulatorMark = seenByEmulator.length;
    await github.listRunners("x");
    expect(routes.slice(mark)).toEqual(["POST /app/installations/{installation_id}/access_tokens 201", "GET /orgs/{org}/actions/runners 200"]);
    // The JWT signed with the real clock is expired for the emulator: 401, then auth-app
    // corrects the skew from the Date header (inside its own hook, so onApiCall sees one call).
    expect(seenByEmulator.slice(emulatorMark)).toEqual([
      `POST /app/installations/${lab.emulator.app.installationId("acme")}/access_tokens 401`,
      `POST /app/installations/${lab.emulator.app.installationId("acme")}/access_tokens 201`,
      "GET /orgs/acme/actions/runners 200",
    ]);
    // Long past the first token's hour the adapter keeps working (a stale token would get 401).
    clock.advance(61 * 60_000);
    await expect(github.listRunners("x")).resolves.toEqual([]);
    expect(routes.at(-1)).toBe("GET /orgs/{org}/actions/runners 200");
  });
});

describe("createOctokitGitHub against the emulator", () => {
  let lab: CheckedEmulator;
  const routes: string[] = [];

  const adapter = (over: Partial<OctokitGitHubOptions> = {}) =>
    createOctokitGitHub({
      apiUrl: lab.emulator.url,
      scope: { kind: "org", org: "acme" },
      auth: { kind: "app", appId: lab.emulator.app.id, installationId: lab.emulator.app.installationId("acme"), privateKey: lab.emulator.app.privateKey! },
      writeSpacingMs: 0,
      secondMs: 5,
      onApiCall: (route, status) => routes.push(`${route} ${status}`),
      ...over,
    });

  beforeAll(async () => {
    lab = await startCheckedEmulator({ staticTokens: ["github_pat_static_for_the_adapter_test"] }, contract);
  });
  afterAll(async () => {
    await lab.close();
  });
  const since = (mark: number) => routes.slice(mark);

  it("retries 5xx a bounded number of times", async () => {
    const github = adapter({ retries: 2 });
    await github.listRunners("warm");
    lab.emulator.setFaults({ serverError: { times: 2, status: 502 } });
    let mark = routes.length;
    await expect(github.listRunners("x")).resolves.toEqual([]);
    expect(since(mark)).toEqual(["GET /orgs/{org}/actions/runners 502", "GET /orgs/{org}/actions/runners 502", "GET /orgs/{org}/actions/runners 200"]);
    lab.emulator.setFaults({ serverError: { times: 3, status: 503 } });
    mark = routes.length;
    await expect(github.listRunners("x")).rejects.toMatchObject({ name: "GitHubError", status: 503 });
    expect(since(mark)).toHaveLength(3);
    lab.emulator.setFaults({});
  });

  it("waits out a secondary rate limit (retry-after) and gives up after the configured retries", async () => {
    const github = adapter({ rateLimitRetries: 2 });
    await github.listRunners("warm");
    lab.emulator.setFaults({ secondaryRateLimit: { times: 1, retryAfterSeconds: 3 } });
    let mark = routes.length;
    await expect(github.listRunners("x")).resolves.toEqual([]);
    expect(since(mark)).toEqual(["GET /orgs/{org}/actions/runners 403", "GET /orgs/{org}/actions/runners 200"]);
    lab.emulator.setFaults({ secondaryRateLimit: { retryAfterSeconds: 3 } });
    mark = routes.length;
    await expect(github.listRunners("x")).rejects.toMatchObject({ status: 403, retryAfterSeconds: 3 });
    expect(since(mark)).toHaveLength(3);
    lab.emulator.setFaults({});
  });

  it("does not wait in-process for a retry-after beyond its limit: the error carries the wait", async () => {
    const github = adapter({ maxRateLimitWaitSeconds: 60 });
    await github.listRunners("warm");
    lab.emulator.setFaults({ tooManyRequests: { times: 1, retryAfterSeconds: 600 } });
    const mark = routes.length;
    const error = await github.listRunners("x").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "GitHubError", status: 429 });
    expect((error as { retryAfterSeconds: number }).retryAfterSeconds).toBe(600);
    expect(since(mark)).toEqual(["GET /orgs/{org}/actions/runners 429"]);
    lab.emulator.setFaults({});
  });

  it("retries a 429 after its retry-after", async () => {
    const github = adapter();
    await github.listRunners("warm");
    lab.emulator.setFaults({ tooManyRequests: { times: 1, retryAfterSeconds: 1 } });
    await expect(github.listRunners("x")).resolves.toEqual([]);
    lab.emulator.setFaults({});
  });

  it("spaces mutating requests as GitHub asks", async () => {
    const github = adapter({ writeSpacingMs: 150 });
    const times: number[] = [];
    const timed = createOctokitGitHub({
      apiUrl: lab.emulator.url,
      scope: { kind: "org", org: "acme" },
      auth: { kind: "token", token: "github_pat_static_for_the_adapter_test" },
      writeSpacingMs: 150,
      onApiCall: (route) => {
        if (route.startsWith("POST")) times.push(performance.now());
      },
    });
    await Promise.all([0, 1, 2].map((i) => timed.generateJitConfig({ name: `spaced-${i}`, labels: ["s"], runnerGroupId: 1 })));
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(140);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(140);
    expect(github.apiCalls()).toBe(0);
  });

  it("authenticates with a token instead of the app (break-glass)", async () => {
    const github = adapter({ auth: { kind: "token", token: "github_pat_static_for_the_adapter_test" } });
    await expect(github.listRunners("")).resolves.toBeInstanceOf(Array);
    const bad = adapter({ auth: { kind: "token", token: "github_pat_wrong" } });
    await expect(bad.listRunners("")).rejects.toMatchObject({ status: 401 });
  });

  it("counts every HTTP attempt and tracks the rate-limit headers", async () => {
    const github = adapter();
    await github.listRunners("a");
    const before = github.rateLimit()!;
    const calls = github.apiCalls();
    await github.listRunners("b");
    expect(github.apiCalls()).toBe(calls + 1);
    expect(github.rateLimit()!.remaining).toBe(before.remaining - 1);
    expect(github.rateLimit()!.limit).toBe(5000);
  });

  it("rejects a repository argument that is not owner/name", async () => {
    await expect(adapter().getVariable("just-a-name", "X")).rejects.toMatchObject({ status: 400 });
  });
});

afterAll(() => {
  // The contract suite sends label lists GitHub's description forbids, on purpose (both scopes).
  expect(contract.takeViolations((v) => v.kind === "request-body" && /\/labels must NOT have (fewer|more) than/.test(v.detail))).toHaveLength(4);
});
