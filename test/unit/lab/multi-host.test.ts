/** The multi-host lab's pure parts: the namespace plan, the cut-off rules, and the measured counts. */
import { describe, expect, it } from "vitest";
import { cutOffCommands, hostNetworkPlan } from "../../../runtime/lab/host-namespaces.ts";
import { finalLine, hostOfRunner, reclaims, type HostFault, type RunFact } from "../../../runtime/lab/multi-host-report.ts";

describe("the hosts' network plan", () => {
  const plan = hostNetworkPlan("1a2b", 48, ["h1", "h2", "h3"]);

  it("gives each host a namespace and its own address on one bridge, the machine the gateway", () => {
    expect(plan.subnet).toBe("10.216.48.0/24");
    expect(plan.gateway).toBe("10.216.48.1");
    expect(plan.hosts.map((h) => [h.name, h.netns, h.address, h.hostSide])).toEqual([
      ["h1", "rfmh1a2b-h1", "10.216.48.11", "rfmh1a2bh0"],
      ["h2", "rfmh1a2b-h2", "10.216.48.12", "rfmh1a2bh1"],
      ["h3", "rfmh1a2b-h3", "10.216.48.13", "rfmh1a2bh2"],
    ]);
  });

  it("keeps interface names within the kernel's 15 characters, even with 200 hosts", () => {
    const big = hostNetworkPlan("ffffff", 254, Array.from({ length: 200 }, (_, i) => `h${i + 1}`));
    const names = [big.bridge, ...big.hosts.map((h) => h.hostSide)];
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(15);
    expect(new Set(big.hosts.map((h) => h.address)).size).toBe(200);
  });

  it("adds no route off the bridge and tears down every namespace and the bridge", () => {
    expect(plan.setup.flat().join(" ")).not.toMatch(/route|ip_forward|MASQUERADE|default/);
    expect(plan.teardown).toEqual([
      ["ip", "netns", "del", "rfmh1a2b-h1"],
      ["ip", "netns", "del", "rfmh1a2b-h2"],
      ["ip", "netns", "del", "rfmh1a2b-h3"],
      ["ip", "link", "del", "rfmh1a2b"],
    ]);
  });

  it.each([
    ["", 1, ["h1"], /bad host network id/],
    ["xyz", 1, ["h1"], /bad host network id/],
    ["ab", 1, [], /1 to 200 hosts/],
  ])("refuses id %j with %j hosts", (id, octet, names, error) => {
    expect(() => hostNetworkPlan(id, octet, names)).toThrow(error);
  });

  it("cuts a host off inside its own namespace, and reconnecting deletes exactly those rules", () => {
    const cut = cutOffCommands("rfmh1a2b-h2", "cut");
    const back = cutOffCommands("rfmh1a2b-h2", "reconnect");
    expect(cut.every((c) => c.slice(0, 4).join(" ") === "ip netns exec rfmh1a2b-h2")).toBe(true);
    expect(back).toEqual(cut.map((c) => c.map((part) => (part === "-I" ? "-D" : part))));
  });
});

describe("reclaims", () => {
  const faults: HostFault[] = [
    { host: "h1", kind: "killed", at: 10_000, held: [1, 2] },
    { host: "h2", kind: "cut off", at: 20_000, held: [3, 4] },
  ];
  const ran = (jobId: number, host: string, startedAt?: number): RunFact => ({ jobId, host, startedAt });

  it.each<[string, RunFact[], { reclaimed: number; maxReclaimMs: number | undefined }]>([
    ["all run elsewhere", [ran(1, "h3", 16_000), ran(2, "h2", 15_500), ran(3, "h3", 27_250), ran(4, "h1", 26_000)], { reclaimed: 4, maxReclaimMs: 7_250 }],
    ["run by the faulted host after all (it came back in time)", [ran(1, "h1", 19_000), ran(3, "h2", 33_000)], { reclaimed: 0, maxReclaimMs: undefined }],
    ["started elsewhere before the fault does not count", [ran(1, "h3", 9_999)], { reclaimed: 0, maxReclaimMs: undefined }],
    ["never run", [ran(1, "-"), ran(2, "h3")], { reclaimed: 0, maxReclaimMs: undefined }],
    ["a job no fault held", [ran(9, "h3", 30_000)], { reclaimed: 0, maxReclaimMs: undefined }],
  ])("%s", (_name, runs, expected) => {
    expect(reclaims(faults, runs)).toEqual(expected);
  });
});

describe("the last line", () => {
  it.each([
    [{ jobs: 12, served: 12, duplicateVms: 0, reclaimed: 3, maxReclaimMs: 6_420, leaks: 0 }, "multi-host: jobs 12 served 12, duplicate VMs 0, reclaimed 3 (max reclaim 6.4 s), leaks 0"],
    [{ jobs: 5, served: 4, duplicateVms: 2, reclaimed: 0, maxReclaimMs: undefined, leaks: 1 }, "multi-host: jobs 5 served 4, duplicate VMs 2, reclaimed 0 (max reclaim - s), leaks 1"],
  ])("%j", (counts, line) => {
    expect(finalLine(counts)).toBe(line);
  });

  it.each([
    ["rf-h1-lab-0a1b2c3d", "h1"],
    ["rf-h12-lab-0a1b2c3d", "h12"],
    ["rf-h3-lab-ffff", "h3"],
    ["other-h1-lab-1", "?"],
    [null, "-"],
  ])("runner %j belongs to host %j", (runner, host) => {
    expect(hostOfRunner(runner, "rf", ["h1", "h12", "h3"])).toBe(host);
  });
});
