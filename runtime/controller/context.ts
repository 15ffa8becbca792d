/** Everything the controller's actions touch, wired once by the daemon (or a test). */
import type { ControllerConfig } from "../config/controller-config.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { Clock } from "../ports/clock.ts";
import type { GitHub } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import type { CacheStore } from "../caches/cache-store.ts";
import type { ConsoleReader } from "./console-reader.ts";
import type { HostHardware } from "./host-admission.ts";
import type { FleetHooks } from "./fleet-link.ts";
import type { JudgeRun } from "./trust-check.ts";
import type { HistoryStore } from "./history-store.ts";
import type { RecordStore } from "./record-store.ts";

export interface ControllerContext {
  config: ControllerConfig;
  hypervisor: Hypervisor;
  github: GitHub;
  clock: Clock;
  records: RecordStore;
  history: HistoryStore;
  consoles: ConsoleReader;
  metrics: Metrics;
  logger: Logger;
  /** The host's facts and the pools refused at start (absent in tests that skip admission). */
  hardware?: HostHardware;
  /** Set in a coordinated fleet (docs/coordination.md): fencing before provisioning steps, and how VMs ended. */
  fleet?: FleetHooks;
  /** Dependency caches (runtime/caches); absent when no pool has any. */
  caches?: CacheStore;
  /** The trust check's run verdicts (cached per run): whether a finished job may publish caches. */
  judgeRun?: JudgeRun;
}
