/**
 * The guest agent's one-job life, standing in for actions/runner inside lab VMs: decode the JIT
 * config, open a session, long-poll for the job, run its steps, report each, complete, close the
 * session. It prints the real runner's console lines, so the controller cannot tell them apart.
 *
 * `runAgent` is also what the in-memory hypervisor's guests run in-process.
 */
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { systemClock, type Clock } from "../ports/clock.ts";
import type { ClockSample } from "../protocol/clock-sample.ts";
import { decodeJitConfig, type DecodedJitConfig } from "../protocol/jit-config.ts";
import { jobRenewSeconds, runnerConsole, type Conclusion, type JobMessage } from "../protocol/runner-api.ts";
import { defaultBackoff, type BackoffPolicy } from "./backoff.ts";
import { nodeHttpFetch, type FetchLike } from "./http-transport.ts";
import { AbortedError, createRunnerClient, RunnerProtocolError, type RunnerClient } from "./runner-client.ts";
import { requestCacheMode } from "./cache-request.ts";
import { runStep } from "./step-runner.ts";

export const agentVersion = "runner-fleet-guest-agent/0.1.0";

/** Process exit codes of the agent (the guest powers off whatever it returns). */
export const agentExitCodes = {
  /** The job ran (whatever its conclusion) and was reported. */
  completed: 0,
  /** The server could not be reached, or answered something unexpected. */
  protocolError: 1,
  /** No JIT config, or one that does not decode. */
  configError: 2,
  /** The server refused the JIT config (unknown token, or already used). */
  rejected: 3,
  /** Stopped from outside before the job was done. */
  aborted: 130,
} as const;

export type AgentOutcome = keyof typeof agentExitCodes;

export interface AgentResult {
  outcome: AgentOutcome;
  exitCode: number;
  /** The job's conclusion, when one ran. */
  conclusion?: Conclusion;
  jobId?: number;
}

export interface AgentOptions {
  /** The encoded JIT config (a secret: never printed). */
  jitConfig: string;
  /** Receives console lines (the serial console in a VM). */
  console: (line: string) => void;
  /** HTTP client; defaults to `nodeHttpFetch` (global fetch works too). */
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** Root of job work folders; defaults to the JIT config's WorkFolder under the cwd. */
  workRoot?: string;
  /** Remove the job's work folder afterwards (the in-process agent does; a VM is discarded anyway). */
  cleanWorkFolder?: boolean;
  backoff?: BackoffPolicy;
  clock?: Clock;
  /** Long-poll wait per request. */
  pollWaitSeconds?: number;
  /** Environment the steps start from (PATH, HOME, ...); job variables are added to it. */
  baseEnv?: Record<string, string>;
  shell?: string;
  /** How often the running job is renewed (default `jobRenewSeconds`). */
  renewSeconds?: number;
}

const resultWords: Record<Conclusion, string> = { success: "Succeeded", failure: "Failed", cancelled: "Canceled" };

export async function runAgent(options: AgentOptions): Promise<AgentResult> {
  const say = (line: string) => options.console(line);
  const stamp = (line: string) => say(`${new Date().toISOString().replace(/\.\d+Z$/, "Z")}: ${line}`);

  let config: DecodedJitConfig;
  try {
    if (options.jitConfig.trim() === "") throw new Error("the JIT config is empty");
    config = decodeJitConfig(options.jitConfig);
    // GitHub's own configs name a broker; this agent speaks only the emulator's protocol at ServerUrl.
    if (config.runner.UseV2Flow) throw new Error(".runner sets UseV2Flow: this agent does not speak GitHub's broker protocol");
  } catch (error) {
    say(`runner-fleet agent: cannot use the JIT config: ${(error as Error).message}`);
    return { outcome: "configError", exitCode: agentExitCodes.configError };
  }

  const client = createRunnerClient({
    serverUrl: config.runner.ServerUrl,
    // No OAuth exchange with the RSA key: the emulator takes the client id as the bearer token.
    token: config.credentials.Data.clientId,
    fetch: options.fetch ?? nodeHttpFetch,
    backoff: options.backoff ?? defaultBackoff,
    clock: options.clock ?? systemClock,
    signal: options.signal,
    onRetry: ({ what, attempt, delayMs, reason }) =>
      say(`runner-fleet agent: ${what}: ${reason}; retry ${attempt} in ${delayMs} ms`),
  });

  let sessionId: string | undefined;
  try {
    const session = await client.createSession({ agentName: config.runner.AgentName, agentVersion });
    sessionId = session.sessionId;
    say(runnerConsole.connected);
    say("");
    say(`Current runner version: '${agentVersion}'`);
    stamp(runnerConsole.listening);

    let job: (JobMessage & { clockSample?: ClockSample }) | undefined;
    while (job === undefined) job = await client.pollMessage(sessionId, options.pollWaitSeconds ?? 50);

    stamp(runnerConsole.running(job.jobName));
    // The comparison made as the job arrived is the nearest to its steps; the session's is the fallback.
    const conclusion = await runJob(client, config, job, options, job.clockSample ?? session.clockSample);
    await client.complete(job.jobId, { conclusion });
    stamp(runnerConsole.completed(job.jobName, resultWords[conclusion]));
    await client.deleteSession(sessionId).catch((error: unknown) => {
      // The job is reported; a session left behind expires with the ephemeral runner.
      say(`runner-fleet agent: could not close the session: ${(error as Error).message}`);
    });
    return { outcome: "completed", exitCode: agentExitCodes.completed, conclusion, jobId: job.jobId };
  } catch (error) {
    if (error instanceof AbortedError || options.signal?.aborted) {
      say("runner-fleet agent: stopped");
      return { outcome: "aborted", exitCode: agentExitCodes.aborted };
    }
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof RunnerProtocolError && (error.status === 401 || error.status === 409)) {
      say(`runner-fleet agent: the server refused this runner: ${message}`);
      return { outcome: "rejected", exitCode: agentExitCodes.rejected };
    }
    say(`runner-fleet agent: giving up: ${message}`);
    return { outcome: "protocolError", exitCode: agentExitCodes.protocolError };
  }
}

async function runJob(
  client: RunnerClient,
  config: DecodedJitConfig,
  job: JobMessage,
  options: AgentOptions,
  clock: ClockSample | undefined,
): Promise<Conclusion> {
  const workRoot = options.workRoot ?? join(process.cwd(), config.runner.WorkFolder || "_work");
  const workFolder = join(workRoot, `job-${job.jobId}`);
  await mkdir(workFolder, { recursive: true });

  // The job's time limit and an outside abort both cancel the running step.
  const cancel = new AbortController();
  const onAbort = () => cancel.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => cancel.abort(), job.timeoutMinutes * 60_000);
  // Renew the job while steps run, as actions/runner renews its job lock: a runner that goes
  // quiet for long is taken for lost and its job is failed. A failed renewal is not fatal.
  const renewal = setInterval(() => {
    client.renewJob(job.jobId).catch(() => undefined);
  }, (options.renewSeconds ?? jobRenewSeconds) * 1000);

  const env: Record<string, string> = {
    ...(options.baseEnv ?? { PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin", HOME: process.env.HOME ?? workRoot }),
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: job.repository,
    GITHUB_RUN_ID: String(job.runId),
    GITHUB_JOB: job.jobName,
    GITHUB_WORKSPACE: workFolder,
    RUNNER_NAME: config.runner.AgentName,
    RUNNER_WORKSPACE: workRoot,
  };

  let conclusion: Conclusion = "success";
  try {
    await requestCacheMode(job, { say: options.console });
    for (const [index, step] of job.steps.entries()) {
      const run = await runStep({ script: step.run, cwd: workFolder, env, signal: cancel.signal, shell: options.shell, now: () => (options.clock ?? systemClock).now() });
      // The clock comparison lets the service place the step's start on its own clock.
      await client.reportStep(job.jobId, { index, name: step.name, ...run, ...(clock ? { clock } : {}) });
      if (run.conclusion !== "success") {
        // Later steps do not run after a failure or cancellation, as on GitHub.
        conclusion = run.conclusion;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    clearInterval(renewal);
    options.signal?.removeEventListener("abort", onAbort);
    if (options.cleanWorkFolder) await rm(workFolder, { recursive: true, force: true });
  }
  if (options.signal?.aborted) throw new AbortedError();
  return conclusion;
}
