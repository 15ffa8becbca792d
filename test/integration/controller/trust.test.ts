/**
 * The trust gate on real VMs: a fork's pull request job and a bot's job aim at the fleet's labels.
 * Both are refused and end at once, visibly (run cancelled, a commit status saying why), the
 * refusal metric counts them, and no registration outlives them, even when the controller is
 * killed between a refusal and the removal. Prints how long untrusted code could run.
 */
import { afterEach, expect, it } from "vitest";
import { trustStatusContext } from "../../../runtime/controller/refused-run.ts";
import type { JobStatus } from "../../../runtime/controller/status-report.ts";
import type { EnqueueJobRequest } from "../../../runtime/emulator/job-request.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { labLabels } from "../../../runtime/lab/lab-config.ts";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

// Long enough that only a refusal ends it.
const untrustedSteps = [{ name: "untrusted", run: "echo untrusted code is running; sleep 120" }];
const forkJob = (number: number): EnqueueJobRequest => ({
  repository: "acme/app",
  labels: labLabels,
  jobName: `fork-${number}`,
  steps: untrustedSteps,
  event: { name: "pull_request", sender: { login: "mallory", type: "User" }, pullRequest: { number, headRepository: "mallory/app", authorAssociation: "CONTRIBUTOR" } },
});
const botJob: EnqueueJobRequest = {
  repository: "acme/app",
  labels: labLabels,
  jobName: "bot",
  steps: untrustedSteps,
  event: { name: "pull_request", sender: { login: "dependabot[bot]", type: "Bot" }, pullRequest: { number: 90, authorAssociation: "NONE" } },
};

await describeWithLibvirt("trust gate on real VMs", () => {
  it("refuses a fork's job and a bot's job: runs cancelled with a visible reason, counted, registrations gone, also across a controller kill", async () => {
    // The fleet's emulator checks every exchange against GitHub's OpenAPI description (test/support).
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 2 } });
    const f = fleet;
    const { emulator } = f;
    const statusOf = (runId: number) => emulator.github.state.statusesOf("acme/app", emulator.github.state.runs.get(runId)!.headSha);
    const ours = () => [...emulator.github.state.runners.values()].filter((r) => r.name.startsWith(f.prefix));
    const historyOf = async (runner: string): Promise<JobStatus | undefined> => (await f.status())?.recentJobs.find((j) => j.name === runner);
    await f.start();
    await f.waitForIdle(1);

    // 1. A fork's job: the warm runner takes it at once (before any webhook can reach the
    //    controller), so untrusted code starts; the controller must stop it and end the job.
    const fork = emulator.enqueueJob(forkJob(66));
    await waitFor("the fork's job to end", 120_000, async () => emulator.job(fork.jobId)?.status === "completed");
    // 2. A bot's job now, while the pool's replacement VM is still booting (part 2 below).
    const bot = emulator.enqueueJob(botJob);
    const forkView = emulator.job(fork.jobId)!;
    expect(forkView.conclusion).toBe("cancelled");
    expect(forkView.runnerName?.startsWith(f.prefix)).toBe(true);
    // The step never got to finish: it was stopped, not waited for.
    expect(forkView.steps[0]?.conclusion).not.toBe("success");
    // The status follows the cancel.
    await waitFor("the fork's commit status", 30_000, async () => statusOf(fork.runId).length > 0);
    expect(statusOf(fork.runId)).toEqual([
      expect.objectContaining({ state: "failure", context: trustStatusContext, description: expect.stringMatching(/^Refused on self-hosted runners: fork: /) }),
    ]);
    await waitFor("the refused VM's history", 60_000, async () => (await historyOf(forkView.runnerName!)) !== undefined);
    const refusedVm = (await historyOf(forkView.runnerName!))!;
    expect(refusedVm).toMatchObject({ reason: "untrusted", outcome: "refused" });
    reportUntrustedTime("fork, warm runner", Date.parse(forkView.startedAt!), refusedVm);

    // 2. The bot's job was judged while queued and cancelled before any runner took it: no VM
    //    ever ran it.
    await waitFor("the bot's job to end", 60_000, async () => emulator.job(bot.jobId)?.status === "completed");
    expect(emulator.job(bot.jobId)).toMatchObject({ conclusion: "cancelled", runnerName: null });
    await waitFor("the bot's commit status", 30_000, async () => statusOf(bot.runId).length > 0);
    expect(statusOf(bot.runId)[0]).toMatchObject({ state: "failure", context: trustStatusContext, description: expect.stringContaining("bot") });

    expect(metricValue(await f.metrics(), "runner_fleet_untrusted_jobs_refused_total")).toBe(2);
    expect(metricValue(await f.metrics(), "runner_fleet_untrusted_jobs_refused_total", { reason: "fork" })).toBe(1);
    expect(metricValue(await f.metrics(), "runner_fleet_untrusted_jobs_refused_total", { reason: "bot" })).toBe(1);
    expect(ours().some((r) => r.name === forkView.runnerName)).toBe(false);

    // 3. GitHub will not cancel (502s) when the next fork's job is refused: its VM is destroyed,
    //    but the job stays in progress and its registration busy. The controller is killed then;
    //    the next one finds the removal owed in its journal and finishes it.
    await f.waitForIdle(1);
    emulator.setFaults({ serverError: { route: "/force-cancel", status: 502 } });
    const second = emulator.enqueueJob(forkJob(67));
    await waitFor("the second fork's job on a VM", 60_000, async () => emulator.job(second.jobId)?.runnerName != null);
    const secondRunner = emulator.job(second.jobId)!.runnerName!;
    await waitFor("its domain destroyed", 60_000, async () => !(await f.hypervisor.listDomains(f.prefix)).some((d) => d.name === secondRunner));
    expect(emulator.job(second.jobId)?.status).toBe("in_progress");
    expect(ours().find((r) => r.name === secondRunner)?.jobId).toBe(second.jobId);
    await f.kill();

    emulator.setFaults({});
    await f.start();
    await waitFor("the second fork's job to end", 60_000, async () => emulator.job(second.jobId)?.status === "completed");
    expect(emulator.job(second.jobId)?.conclusion).toBe("cancelled");
    await waitFor("its registration removed", 60_000, async () => !ours().some((r) => r.name === secondRunner));
    await waitFor("its commit status", 30_000, async () => statusOf(second.runId).length > 0);
    expect(statusOf(second.runId).at(-1)).toMatchObject({ state: "failure", context: trustStatusContext });
    await waitFor("the refused VM's history", 60_000, async () => (await historyOf(secondRunner)) !== undefined);
    const secondVm = (await historyOf(secondRunner))!;
    expect(secondVm).toMatchObject({ reason: "untrusted", outcome: "refused" });
    reportUntrustedTime("fork, warm runner, cancel failing", Date.parse(emulator.job(second.jobId)!.startedAt!), secondVm);

    expect(await f.stop()).toBe(0);
    expect(await f.leaks()).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
  });
});

/**
 * Untrusted code may run from the moment the runner holds the job (the emulator hands it out;
 * the guest starts the first step right after) until its domain is destroyed. Both instants are
 * on this machine's clock, so the span needs no guest-clock correction; it is an upper bound.
 */
function reportUntrustedTime(what: string, handedOut: number, vm: JobStatus): void {
  const { assigned, domainGone } = vm.times;
  const decided = vm.times.finished;
  expect(domainGone).toBeDefined();
  const ms = (to: number | undefined, from: number) => (to === undefined ? "?" : `${to - from} ms`);
  console.log(
    `untrusted code time (${what}): ${ms(domainGone, handedOut)} from job handed to the runner to domain destroyed` +
      ` [controller saw the job after ${ms(assigned, handedOut)}, refused it ${decided !== undefined && assigned !== undefined ? ms(decided, assigned) : "?"} later,` +
      ` domain gone ${decided !== undefined ? ms(domainGone, decided) : "?"} after that]`,
  );
}
