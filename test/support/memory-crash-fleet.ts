/**
 * The crash scenarios at unit speed: the real emulator (checked against GitHub's OpenAPI
 * description) and in-memory VMs running the real guest
 * agent, with controllers in this process. A SIGKILL would end the test too, so a controller
 * "dies" by freezing instead: from that instant every call it makes to the hypervisor or GitHub
 * (and the crash point it reached) never returns, and it never acts again. Its VMs, journal and
 * registrations stay as they were for the next controller, as after a real kill.
 *
 * Unlike a real kill, an action of the dead controller that is between two such calls may still
 * finish local file writes; that is a state a slightly later kill would leave too.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { armCrashPoint, parseCrashPlan } from "../../runtime/controller/crash-points.ts";
import { startController, type RunningController } from "../../runtime/controller/daemon.ts";
import { ownerPrefix } from "../../runtime/controller/naming.ts";
import { gitHubFor } from "../../runtime/github/from-config.ts";
import { createMemoryHypervisor } from "../../runtime/hypervisor/memory/memory-hypervisor.ts";
import { runsGuestAgent } from "../../runtime/hypervisor/memory/guest-behaviours.ts";
import { fetchStatus, waitFor } from "../../runtime/lab/controller-process.ts";
import { findLeaks } from "../../runtime/lab/leak-check.ts";
import { startEmulatorChecked } from "./checked-emulator.ts";
import type { CrashableFleet } from "./crash-scenarios.ts";
import { fleetLabels, harnessConfig, harnessLogger, trustedPullRequest, webhookSecret } from "./fleet-harness.ts";

export interface MemoryCrashFleet extends CrashableFleet {
  close(): Promise<void>;
}

const defaultSteps = [{ name: "work", run: "echo hello" }];

export async function startMemoryCrashFleet(pool: { min: number; max: number }): Promise<MemoryCrashFleet> {
  const emulator = await startEmulatorChecked({ runnerOfflineAfterSeconds: 5 });
  const stateDir = await mkdtemp(join(tmpdir(), "rf-crash-"));
  const base = await harnessConfig(emulator, stateDir);
  const config = { ...base, pools: base.pools.map((p) => ({ ...p, ...pool })) };
  const prefix = ownerPrefix(config.namePrefix, config.host.name);
  const hypervisor = createMemoryHypervisor({ guest: runsGuestAgent({ pollWaitSeconds: 1 }) });
  const logger = harnessLogger();
  // No write spacing: the emulator has no secondary rate limit, and at GitHub's pace (1 s per
  // write) the registrations 50 kills leave behind take most of a minute to remove.
  const github = gitHubFor(config, { writeSpacingMs: 0 });
  const controllers: { controller: RunningController; line: Lifeline }[] = [];
  let current: (typeof controllers)[number] | undefined;
  let jobs = 0;

  const fleet: MemoryCrashFleet = {
    emulator,
    stateDir,
    async start(options = {}) {
      const line = new Lifeline();
      const plan = parseCrashPlan(options.crashAt);
      armCrashPoint(plan, () => {
        line.die();
        return line.hang();
      });
      const controller = await startController({ config, logger, hypervisor: severable(hypervisor, line), github: severable(gitHubFor(config, { writeSpacingMs: 0 }), line) });
      emulator.addWebhook(`${controller.url}/webhook`, webhookSecret);
      current = { controller, line };
      controllers.push(current);
      return controller;
    },
    async waitForExit(timeoutMs = 20_000) {
      const line = current?.line;
      if (!line) throw new Error("no controller to wait for");
      await waitFor("the controller to crash", timeoutMs, () => line.dead, undefined, 10);
      current = undefined;
      return "SIGKILL";
    },
    async kill() {
      current?.line.die();
      current = undefined;
    },
    async stop() {
      if (!current) return null;
      await current.controller.shutdown();
      current = undefined;
      return 0;
    },
    status: () => (current ? fetchStatus(current.controller.url) : Promise.resolve(undefined)),
    enqueue(count, steps = defaultSteps) {
      return Array.from({ length: count }, () => {
        jobs += 1;
        return emulator.enqueueJob({ repository: "acme/app", labels: fleetLabels, jobName: `crash-job-${jobs}`, steps, event: trustedPullRequest(jobs) });
      });
    },
    waitForJobs: (list, timeoutMs = 60_000) =>
      waitFor(`${list.length} jobs to complete`, timeoutMs, () => list.every((j) => emulator.job(j.jobId)?.status === "completed"), undefined, 25),
    leaks: () => findLeaks({ prefix, stateDir, hypervisor, github }),
    async close() {
      armCrashPoint(undefined);
      // Dead controllers' frozen calls now fail, so their loops and actions can end.
      for (const { controller, line } of controllers) {
        line.release();
        await controller.abandon();
      }
      for (const domain of await hypervisor.listDomains("")) await hypervisor.destroyDomain(domain.name);
      await hypervisor.settled();
      await emulator.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
  return fleet;
}

/** A controller's life: once dead, everything it waits on hangs until the test releases it. */
class Lifeline {
  dead = false;
  private released = false;
  private readonly waiting: ((error: Error) => void)[] = [];

  die(): void {
    this.dead = true;
  }

  hang<T>(): Promise<T> {
    if (this.released) return Promise.reject(new Error("the controller was killed"));
    return new Promise<T>((_, reject) => this.waiting.push(reject));
  }

  release(): void {
    this.dead = true;
    this.released = true;
    for (const reject of this.waiting.splice(0)) reject(new Error("the controller was killed"));
  }
}

/** The ports' synchronous methods: local reads and subscriptions, which a dead controller may keep making. */
const synchronous = new Set<PropertyKey>(["watch", "rateLimit"]);

/** `target` whose asynchronous methods hang once `line` is dead, also when the call was under way. */
function severable<T extends object>(target: T, line: Lifeline): T {
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key);
      if (typeof value !== "function" || synchronous.has(key)) return value;
      return (...args: unknown[]) => {
        if (line.dead) return line.hang();
        const result: unknown = value.apply(object, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (resolved: unknown) => (line.dead ? line.hang() : resolved),
          (error: unknown) => (line.dead ? line.hang() : Promise.reject(error)),
        );
      };
    },
  });
}
