/**
 * The guest agent against the real GitHub emulator on loopback: JIT config minted through the
 * REST API, jobs enqueued the way a workflow would, steps really run with `sh -e`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { agentExitCodes, runAgent, type AgentOptions } from "../../../runtime/guest-agent/agent.ts";
import { parseConsole } from "../../../runtime/controller/console-marks.ts";
import { decodeJitConfig, encodeJitConfig, mintJitConfig as jitConfigFor } from "../../../runtime/protocol/jit-config.ts";
import { runnerConsole } from "../../../runtime/protocol/runner-api.ts";
import type { Emulator } from "../../../runtime/emulator/server.ts";
import { jobPickup } from "../../../runtime/lab/job-pickup.ts";
import { systemClock } from "../../../runtime/ports/clock.ts";
import { startEmulatorChecked } from "../../support/checked-emulator.ts";

const adminToken = "pat_guest_agent_tests_0123456789";
const fastBackoff = { retries: 3, initialDelayMs: 5, maxDelayMs: 20 };

let emulator: Emulator;
let workRoot: string;
const workRoots: string[] = [];
let counter = 0;

beforeAll(async () => {
  emulator = await startEmulatorChecked({ staticTokens: [adminToken] });
});
afterAll(async () => {
  await emulator?.close();
});
afterEach(async () => {
  for (const dir of workRoots.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function mintJitConfig(labels = ["lab"]): Promise<{ name: string; jitConfig: string }> {
  const name = `agent-test-${++counter}`;
  const response = await fetch(`${emulator.url}/orgs/acme/actions/runners/generate-jitconfig`, {
    method: "POST",
    headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
    body: JSON.stringify({ name, runner_group_id: 1, labels, work_folder: "_work" }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { encoded_jit_config: string };
  return { name, jitConfig: body.encoded_jit_config };
}

async function agent(jitConfig: string, extra: Partial<AgentOptions> = {}) {
  workRoot = await mkdtemp(join(tmpdir(), "rf-agent-"));
  workRoots.push(workRoot);
  const lines: string[] = [];
  const result = await runAgent({
    jitConfig,
    console: (line) => lines.push(line),
    workRoot,
    backoff: fastBackoff,
    pollWaitSeconds: 1,
    ...extra,
  });
  return { result, lines, console: lines.join("\n") };
}

describe("guest agent with the emulator", () => {
  it("takes one job, runs its steps in order in the work folder, reports each and completes", async () => {
    const { name, jitConfig } = await mintJitConfig();
    const { jobId } = emulator.enqueueJob({
      repository: "acme/app",
      labels: ["lab"],
      jobName: "build",
      steps: [
        { name: "write", run: 'echo "hello from $GITHUB_JOB in $GITHUB_REPOSITORY" > out.txt; echo written' },
        { name: "read", run: "cat out.txt; pwd; echo err >&2" },
      ],
    });
    const { result, console, lines } = await agent(jitConfig);

    expect(result).toEqual({ outcome: "completed", exitCode: 0, conclusion: "success", jobId });
    const job = emulator.job(jobId)!;
    expect(job.status).toBe("completed");
    expect(job.conclusion).toBe("success");
    expect(job.runnerName).toBe(name);
    expect(job.steps.map((s) => [s.name, s.conclusion, s.exitCode])).toEqual([
      ["write", "success", 0],
      ["read", "success", 0],
    ]);
    expect(job.steps[0]!.log).toBe("written\n");
    expect(job.steps[1]!.log).toBe(`hello from build in acme/app\n${join(workRoot, `job-${jobId}`)}\nerr\n`);

    // The real runner's console lines, in order; the controller reads them the same way.
    expect(lines[0]).toBe(runnerConsole.connected);
    expect(lines.findIndex((l) => l.endsWith(runnerConsole.listening))).toBeLessThan(lines.findIndex((l) => l.endsWith(runnerConsole.running("build"))));
    expect(parseConsole(console)).toEqual({ listening: true, runningJob: "build", result: "Succeeded" });
    const secret = decodeJitConfig(jitConfig).credentials.Data.clientId;
    expect(console).not.toContain(secret);
    expect(console).not.toContain(jitConfig);
  });

  it("reports its clock against the service's, so a step's start lands on the service's clock", async () => {
    const { jitConfig } = await mintJitConfig(["lab-clock"]);
    const queueLater = setTimeout(() => emulator.enqueueJob({ repository: "acme/app", labels: ["lab-clock"], steps: [{ name: "a", run: "true" }] }), 1500);
    // A guest clock 5 s behind the host's when it connects, which then jumps 2 s further back
    // while it waits for its job (TCG guests' clocks run up to a second behind, and can jump).
    let skew = 5000;
    const behind = { now: () => Date.now() - skew, sleep: systemClock.sleep };
    setTimeout(() => (skew = 7000), 300);
    await agent(jitConfig, { clock: behind });

    clearTimeout(queueLater);
    const job = [...emulator.github.state.jobs.values()].find((j) => j.labels.includes("lab-clock"))!;
    const pickup = jobPickup(job);
    // The comparison made as the job arrived, after the jump, is the one the steps carry.
    expect(pickup.clock!.offsetMs).toBeGreaterThan(7000 - pickup.clock!.roundTripMs / 2 - 1);
    expect(pickup.clock!.offsetMs).toBeLessThan(7000 + pickup.clock!.roundTripMs / 2 + 1);
    // Uncorrected, the step would have started before the job was even queued.
    expect(job.stepResults[0]!.reportedStartedAt! - job.createdAt).toBeLessThan(0);
    expect(pickup.firstStepMs).toBeGreaterThanOrEqual(pickup.handedOutMs!);
  });

  it("a failing command fails its step (sh -e) and the job; later steps do not run", async () => {
    const { jitConfig } = await mintJitConfig();
    const { jobId } = emulator.enqueueJob({
      repository: "acme/app",
      labels: ["lab"],
      jobName: "test",
      steps: [
        { name: "fails", run: "echo before; false; echo after" },
        { name: "never", run: "echo should not run" },
      ],
    });
    const { result, console } = await agent(jitConfig);
    expect(result).toMatchObject({ outcome: "completed", exitCode: agentExitCodes.completed, conclusion: "failure" });
    const job = emulator.job(jobId)!;
    expect(job.conclusion).toBe("failure");
    expect(job.steps[0]).toMatchObject({ conclusion: "failure", exitCode: 1, log: "before\n" });
    expect(job.steps[1]?.log ?? "").not.toContain("should not run");
    expect(parseConsole(console).result).toBe("Failed");
  });

  it("cancels the running step, with its children, when the job runs out of time", async () => {
    const { jitConfig } = await mintJitConfig();
    const { jobId } = emulator.enqueueJob({
      repository: "acme/app",
      labels: ["lab"],
      jobName: "slow",
      timeoutMinutes: 0.01, // 600 ms
      steps: [{ name: "sleeps", run: "sleep 30 & echo $! > child.pid; wait" }],
    });
    const started = Date.now();
    const { result } = await agent(jitConfig);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.conclusion).toBe("cancelled");
    const pidFile = join(workRoot, `job-${jobId}`, "child.pid");
    const pid = Number((await readFile(pidFile, "utf8")).trim());
    // Killed: gone, or a zombie waiting for whoever inherited it to reap it.
    const state = await readFile(`/proc/${pid}/stat`, "utf8").then((stat) => stat.split(" ")[2], () => "gone");
    expect(["gone", "Z"]).toContain(state);
  });

  it("a JIT config works once: a second runner with it is refused", async () => {
    const { jitConfig } = await mintJitConfig(["lab-reuse"]);
    emulator.enqueueJob({ repository: "acme/app", labels: ["lab-reuse"], steps: [{ name: "a", run: "true" }] });
    expect((await agent(jitConfig)).result.outcome).toBe("completed");
    const second = await agent(jitConfig);
    expect(second.result).toEqual({ outcome: "rejected", exitCode: agentExitCodes.rejected });
    expect(second.console).toContain("the server refused this runner");
  });

  it("stops waiting for a job when aborted", async () => {
    const { jitConfig } = await mintJitConfig(["lab-idle"]);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const started = Date.now();
    const { result, console } = await agent(jitConfig, { signal: abort.signal, pollWaitSeconds: 30 });
    expect(result).toEqual({ outcome: "aborted", exitCode: agentExitCodes.aborted });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(parseConsole(console)).toEqual({ listening: true });
  });

  it("can use the global fetch instead of node:http", async () => {
    const { jitConfig } = await mintJitConfig(["lab-fetch"]);
    const { jobId } = emulator.enqueueJob({ repository: "acme/app", labels: ["lab-fetch"], steps: [{ name: "a", run: "echo via fetch" }] });
    const { result } = await agent(jitConfig, { fetch });
    expect(result.conclusion).toBe("success");
    expect(emulator.job(jobId)!.steps[0]!.log).toBe("via fetch\n");
  });
});

describe("guest agent failures", () => {
  const config = (serverUrl: string) =>
    jitConfigFor({
      agentId: 1,
      agentName: "r1",
      poolId: 1,
      poolName: "Default",
      serverUrl,
      gitHubUrl: "https://github.example/acme",
      workFolder: "_work",
      clientId: "secret-token-value",
    });

  it("refuses an empty or undecodable JIT config without echoing it", async () => {
    for (const bad of ["", "   \n", "bm90IGpzb24=", "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3Qtc2hvdw=="]) {
      const { result, console } = await agent(bad);
      expect(result).toEqual({ outcome: "configError", exitCode: agentExitCodes.configError });
      expect(console).toContain("cannot use the JIT config");
      if (bad.trim()) expect(console).not.toContain(bad);
    }
  });

  it("reads its server and credentials from .runner and .credentials, and refuses what it cannot speak", async () => {
    const good = decodeJitConfig(config("http://10.0.2.100:8080/_runner"));
    const broker = encodeJitConfig({ ...good, runner: { ...good.runner, UseV2Flow: true, ServerUrlV2: "https://broker.example/" } });
    const v2 = await agent(broker);
    expect(v2.result.outcome).toBe("configError");
    expect(v2.console).toContain("UseV2Flow: this agent does not speak GitHub's broker protocol");

    const files = JSON.parse(Buffer.from(config("http://x/_runner"), "base64").toString()) as Record<string, string>;
    files[".credentials"] = Buffer.from(JSON.stringify({ Scheme: "OAuthAccessToken", Data: { AccessToken: "secret-token-value" } })).toString("base64");
    const other = await agent(Buffer.from(JSON.stringify(files)).toString("base64"));
    expect(other.result.outcome).toBe("configError");
    expect(other.console).toMatch(/cannot use the JIT config: malformed JIT config: \.credentials\.Scheme: .*\.credentials\.Data\.clientId: /);
    expect(other.console).not.toContain("secret-token-value");
  });

  it("retries an unreachable server with bounded backoff, then gives up", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise((resolve) => server.close(resolve));
    const { result, lines } = await agent(config(`http://127.0.0.1:${port}/_runner/`));
    expect(result).toEqual({ outcome: "protocolError", exitCode: agentExitCodes.protocolError });
    expect(lines.filter((l) => l.includes("ECONNREFUSED; retry")).map((l) => /retry (\d+) in (\d+) ms/.exec(l)!.slice(1))).toEqual([
      ["1", "5"],
      ["2", "10"],
      ["3", "20"],
    ]);
    expect(lines.at(-1)).toContain("giving up: POST sessions failed after 4 attempts: ECONNREFUSED");
  });

  it("retries 5xx answers, but takes a 401 as final; the token only ever goes in the header", async () => {
    let requests = 0;
    const seen: string[] = [];
    const server = createServer((req, res) => {
      requests += 1;
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      req.resume();
      res.writeHead(requests <= 2 ? 503 : 401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const { result, console } = await agent(config(`http://127.0.0.1:${port}/_runner`));
      expect(result.outcome).toBe("rejected");
      expect(seen).toEqual(Array(3).fill("POST /_runner/sessions Bearer secret-token-value"));
      expect(console).toContain("HTTP 503; retry 1");
      expect(console).not.toContain("secret-token-value");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("work folders", () => {
  it("are removed afterwards when asked (the in-process guests do)", async () => {
    const { jitConfig } = await mintJitConfig(["lab-clean"]);
    emulator.enqueueJob({ repository: "acme/app", labels: ["lab-clean"], steps: [{ name: "a", run: "touch file" }] });
    const { result } = await agent(jitConfig, { cleanWorkFolder: true });
    expect(result.conclusion).toBe("success");
    expect(await readdir(workRoot)).toEqual([]);
  });
});

describe("job renewal", () => {
  it("keeps a long step's job alive; a runner that stops renewing is taken for lost and its job fails", async () => {
    const strict = await startEmulatorChecked({ staticTokens: [adminToken], runnerLostAfterSeconds: 1 });
    try {
      const mint = async (name: string) => {
        const response = await fetch(`${strict.url}/orgs/acme/actions/runners/generate-jitconfig`, {
          method: "POST",
          headers: { authorization: `token ${adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ name, runner_group_id: 1, labels: ["slow"] }),
        });
        return ((await response.json()) as { encoded_jit_config: string }).encoded_jit_config;
      };
      const run = async (renewSeconds: number) => {
        const jitConfig = await mint(`renew-${renewSeconds}`);
        const { jobId } = strict.enqueueJob({ repository: "acme/app", labels: ["slow"], steps: [{ name: "slow", run: "sleep 2.5" }] });
        workRoot = await mkdtemp(join(tmpdir(), "rf-agent-"));
        workRoots.push(workRoot);
        await runAgent({ jitConfig, console: () => undefined, workRoot, backoff: fastBackoff, pollWaitSeconds: 1, renewSeconds });
        return strict.job(jobId)!;
      };
      expect((await run(0.3)).conclusion).toBe("success");
      const lost = await run(60);
      expect(lost.conclusion).toBe("failure");
    } finally {
      await strict.close();
    }
  });
});
