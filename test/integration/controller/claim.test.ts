/**
 * JIT on claim on real VMs: a VM of an on-claim pool boots unregistered and waits on its job
 * channel. An untrusted job gets no JIT config at all (the emulator sees no generate-jitconfig
 * call for it), a trusted one gets its own, over the channel, and runs. The config is never in a
 * process's argv (host or guest), in any file of the state directory, or in the controller's log.
 */
import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { trustStatusContext } from "../../../runtime/controller/refused-run.ts";
import { waitFor } from "../../../runtime/lab/controller-process.ts";
import { labLabels } from "../../../runtime/lab/lab-config.ts";
import { describeWithLibvirt } from "../../support/lab-image.ts";
import { metricValue, startLibvirtFleet, type LibvirtFleet } from "../../support/libvirt-fleet.ts";

let fleet: LibvirtFleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Every process's command line on this host, NUL-separated arguments joined by spaces. */
async function hostArgv(): Promise<string> {
  const lines: string[] = [];
  for (const pid of (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry))) {
    lines.push((await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replaceAll("\0", " "));
  }
  return lines.join("\n");
}

/** Every regular file under `dir`, as text. */
async function filesUnder(dir: string): Promise<{ path: string; text: string }[]> {
  const out: { path: string; text: string }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ path, text: await readFile(path, "latin1").catch(() => "") });
  }
  return out;
}

await describeWithLibvirt("JIT on claim on real VMs", () => {
  it("a waiting VM gets no config for an untrusted job, then serves a trusted one handed over the channel; the config is in no argv and no file", async () => {
    fleet = await startLibvirtFleet({ pool: { min: 1, max: 2, register: "on-claim" } });
    const f = fleet;
    const { emulator } = f;
    const jitCalls = () => f.contract.operations.get("actions/generate-runner-jitconfig-for-org") ?? 0;
    await f.start();
    await waitFor("a VM waiting on its channel", 180_000, async () => (await f.status())?.vms.some((vm) => vm.phase === "waiting") ?? false);
    const waiting = (await f.status())!.vms.find((vm) => vm.phase === "waiting")!.name;
    expect([...emulator.github.state.runners.values()].filter((r) => r.name.startsWith(f.prefix))).toEqual([]);

    // 1. A fork's job: refused while queued, visibly; no JIT config is ever requested for it.
    const fork = emulator.enqueueJob({
      repository: "acme/app",
      labels: labLabels,
      jobName: "fork",
      steps: [{ name: "untrusted", run: "echo untrusted code is running" }],
      event: { name: "pull_request", sender: { login: "mallory", type: "User" }, pullRequest: { number: 66, headRepository: "mallory/app", authorAssociation: "CONTRIBUTOR" } },
    });
    await waitFor("the fork's job to end", 60_000, async () => emulator.job(fork.jobId)?.status === "completed");
    const { state } = emulator.github;
    await waitFor("the fork's commit status", 30_000, async () => state.statusesOf("acme/app", state.runs.get(fork.runId)!.headSha).length > 0);
    expect(emulator.job(fork.jobId)).toMatchObject({ conclusion: "cancelled", runnerName: null });
    expect(state.statusesOf("acme/app", state.runs.get(fork.runId)!.headSha)[0]).toMatchObject({ state: "failure", context: trustStatusContext });
    expect(metricValue(await f.metrics(), "runner_fleet_untrusted_jobs_refused_total", { reason: "fork" })).toBe(1);
    expect(jitCalls()).toBe(0);
    expect((await f.status())!.vms.find((vm) => vm.name === waiting)?.phase).toBe("waiting");

    // 2. A trusted job: the waiting VM gets its JIT config over the channel and runs it. Its step
    //    prints every command line in the guest, and holds the VM up while the host's are read.
    const [trusted] = f.enqueue(1, [{ name: "argv", run: "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done; sleep 4" }]);
    await waitFor("the trusted job to start", 60_000, async () => emulator.job(trusted!.jobId)?.runnerName != null);
    const runner = [...state.runners.values()].find((r) => r.name === emulator.job(trusted!.jobId)!.runnerName)!;
    expect(runner.name).toBe(waiting);
    // Exactly the job's labels (GitHub spells its default labels its own way: Linux, X64).
    expect(runner.labels.map((l) => l.name.toLowerCase()).sort()).toEqual(labLabels.map((l) => l.toLowerCase()).sort());
    const secret = runner.clientId;
    const argvDuringJob = await hostArgv();
    const filesDuringJob = await filesUnder(f.stateDir);
    await f.waitForJobs([trusted!], 120_000);
    const job = emulator.job(trusted!.jobId)!;
    expect(job.conclusion).toBe("success");
    expect(jitCalls()).toBe(1);

    expect(job.steps[0]?.log).toContain("guest-agent.cjs --job-channel /dev/vport");
    expect(job.steps[0]?.log).not.toContain(secret);
    expect(argvDuringJob).not.toContain(secret);
    for (const { path, text } of [...filesDuringJob, ...(await filesUnder(f.stateDir))]) expect(text.includes(secret), path).toBe(false);
    for (const { path, text } of await filesUnder(dirname(f.stateDir))) expect(text.includes(secret), path).toBe(false);

    await waitFor("the VM's history", 60_000, async () => (await f.status())?.recentJobs.some((j) => j.name === waiting) ?? false);
    expect(await f.stop()).toBe(0);
    const leaks = await f.leaks();
    expect(leaks).toEqual({ domains: [], overlays: [], runners: [], secrets: [] });
  });
});
