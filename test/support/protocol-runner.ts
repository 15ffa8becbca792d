/**
 * A scripted runner that speaks the emulator's runner protocol (runtime/protocol/runner-api.ts)
 * from an encoded JIT config, the way the guest agent does, without running anything: tests
 * decide each step's outcome.
 */
import { decodeJitConfig } from "../../runtime/protocol/jit-config.ts";
import {
  runnerApiPaths,
  type Conclusion,
  type JobMessage,
  type SessionResponse,
  type StepReport,
} from "../../runtime/protocol/runner-api.ts";

export class ProtocolRunner {
  readonly serverUrl: string;
  readonly name: string;
  private readonly token: string;
  session: SessionResponse | undefined;

  /** `serverUrl` overrides the config's, e.g. loopback for a config minted with a guest address. */
  constructor(encodedJitConfig: string, serverUrl?: string) {
    const config = decodeJitConfig(encodedJitConfig);
    this.serverUrl = (serverUrl ?? config.runner.ServerUrl).replace(/\/+$/, "");
    this.name = config.runner.AgentName;
    this.token = config.credentials.Data.clientId;
  }

  async call(method: string, path: string, body?: unknown, token = this.token): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${this.serverUrl}/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) };
  }

  /** POST sessions; returns the HTTP status (201 on success). */
  async connect(): Promise<number> {
    const response = await this.call("POST", runnerApiPaths.sessions, { agentName: this.name, agentVersion: "2.330.0-test" });
    if (response.status === 201) this.session = response.body as SessionResponse;
    return response.status;
  }

  async poll(waitSeconds = 0): Promise<JobMessage | undefined> {
    if (!this.session) throw new Error("not connected");
    const response = await this.call("GET", `${runnerApiPaths.message(this.session.sessionId)}?waitSeconds=${waitSeconds}`);
    if (response.status === 204) return undefined;
    if (response.status !== 200) throw new Error(`poll answered ${response.status}`);
    return response.body as JobMessage;
  }

  async reportStep(job: JobMessage, index: number, conclusion: Conclusion, exitCode = conclusion === "success" ? 0 : 1): Promise<number> {
    const now = new Date().toISOString();
    const report: StepReport = { index, name: job.steps[index]!.name, conclusion, exitCode, log: `ran ${job.steps[index]!.run}\n`, startedAt: now, completedAt: now };
    return (await this.call("POST", runnerApiPaths.steps(job.jobId), report)).status;
  }

  async complete(job: JobMessage, conclusion: Conclusion): Promise<number> {
    return (await this.call("POST", runnerApiPaths.complete(job.jobId), { conclusion })).status;
  }

  /** Runs a whole job: every step succeeds, unless `failAt` names a step index that fails. */
  async runJob(job: JobMessage, failAt?: number): Promise<Conclusion> {
    for (let i = 0; i < job.steps.length; i++) {
      const conclusion: Conclusion = i === failAt ? "failure" : "success";
      await this.reportStep(job, i, conclusion);
      if (conclusion === "failure") {
        await this.complete(job, "failure");
        return "failure";
      }
    }
    await this.complete(job, "success");
    return "success";
  }

  async disconnect(): Promise<number> {
    if (!this.session) return 0;
    return (await this.call("DELETE", runnerApiPaths.session(this.session.sessionId))).status;
  }
}
