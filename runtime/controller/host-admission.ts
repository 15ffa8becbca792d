/**
 * Start-up wiring for the host's hardware: read its facts once, admit the pools it can hold,
 * and say loudly which it cannot. A refused pool gets no VMs; the others run, and the refusal
 * is a setup problem (/healthz answers 503 until the config or the host is fixed).
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import { isGpu, pciVendorName } from "../facts/parse-facts.ts";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { HostFacts, HostFactsSource } from "../ports/host-facts.ts";
import { admitPools, type PoolRefusal } from "./pool-admission.ts";

export interface HostHardware {
  facts: HostFacts;
  source: HostFactsSource;
  refused: PoolRefusal[];
}

export async function admitHost(
  config: ControllerConfig,
  source: HostFactsSource,
  logger: Logger,
  metrics: Metrics,
): Promise<{ config: ControllerConfig; hardware: HostHardware; problems: string[] }> {
  const facts = await source.read();
  const { admitted, refused } = admitPools(config, facts);
  for (const [fact, value] of Object.entries(factGauges(facts))) metrics.hostFacts.set({ fact }, value);
  metrics.hostFacts.set({ fact: "pools_refused" }, refused.length);
  const problems = refused.map((r) => `pool "${r.pool}" refused on this host: ${r.problems.join("; ")}`);
  for (const refusal of refused) logger.error({ event: "pool_refused", pool: refusal.pool, problems: refusal.problems }, problems[refused.indexOf(refusal)]!);
  logger.info({ event: "host_facts", arch: facts.arch, cpu: facts.cpu.model, cores: facts.cpu.cores, numaNodes: facts.numaNodes.length, gpus: facts.pciDevices.filter(isGpu).length }, "host facts read");
  return { config: { ...config, pools: admitted }, hardware: { facts, source, refused }, problems };
}

/** The numeric facts, as the `runner_fleet_host_facts` gauge shows them. */
export function factGauges(facts: HostFacts): Record<string, number> {
  return {
    cpu_cores: facts.cpu.cores,
    memory_mib: facts.memoryMiB,
    numa_nodes: facts.numaNodes.length,
    iommu_groups: facts.iommu.groups,
    gpus: facts.pciDevices.filter(isGpu).length,
    hugepages_mib: Math.floor((facts.hugepages.total * facts.hugepages.sizeKiB) / 1024),
  };
}

/** Host facts as the status document shows them. */
export function factsStatus(facts: HostFacts) {
  return {
    arch: facts.arch,
    cpu: { model: facts.cpu.model, cores: facts.cpu.cores, flags: facts.cpu.flags },
    memoryMiB: facts.memoryMiB,
    hugepages: facts.hugepages,
    numaNodes: facts.numaNodes,
    iommu: facts.iommu,
    gpus: facts.pciDevices.filter(isGpu).map((d) => ({ address: d.address, vendor: pciVendorName(d.vendorId), deviceId: d.deviceId, driver: d.driver, iommuGroup: d.iommuGroup })),
  };
}

export type FactsStatus = ReturnType<typeof factsStatus>;
