/** The doctor's and health check's decisions over plain data. */
import { describe, expect, it } from "vitest";
import type { VmRecord } from "../../../runtime/controller/vm-record.ts";
import { planDoctor, type DoctorInput } from "../../../runtime/ops/doctor-plan.ts";
import { compareInventory } from "../../../runtime/ops/inventory-check.ts";
import type { LocalState } from "../../../runtime/ops/local-state.ts";
import type { RunnerInfo } from "../../../runtime/ports/github.ts";

const now = Date.parse("2026-03-01T12:00:00Z");
const min = 60_000;
const vm = (n: number) => `rf-h1-small-${String(n).padStart(8, "0")}`;
const record = (n: number, phase: VmRecord["phase"]): [string, VmRecord] => [vm(n), { name: vm(n), pool: "small", phase, times: { requested: now - 5 * min } }];
const runner = (n: number, o: Partial<RunnerInfo> = {}): RunnerInfo => ({ id: n, name: vm(n), status: "offline", busy: false, labels: [], ...o });
const domain = (n: number, createdAgoMs?: number) => ({ name: vm(n), state: "running" as const, metadata: createdAgoMs === undefined ? undefined : { pool: "small", createdAt: new Date(now - createdAgoMs).toISOString() } });
const file = (dir: string, n: number, agoMs: number | undefined, ext: string) => ({ path: `/state/${dir}/${vm(n)}.${ext}`, name: vm(n), mtime: agoMs === undefined ? undefined : now - agoMs });

function state(o: Partial<LocalState>): LocalState {
  return { prefix: "rf-h1-", domains: [], overlays: [], secrets: [], logs: [], records: new Map(), ...o };
}
const plan = (local: LocalState, o: Partial<DoctorInput> = {}) => planDoctor({ local, runners: [], now, minAgeMs: 30 * min, keepLogs: 2, ...o });

describe("doctor plan", () => {
  it("never touches anything whose VM has a record, however old", () => {
    const local = state({
      records: new Map([record(1, "idle"), record(2, "provisioning")]),
      domains: [domain(1, 600 * min)],
      overlays: [file("overlays", 1, 600 * min, "qcow2")],
      secrets: [file("secrets", 2, 600 * min, "jit")],
      logs: [file("logs", 1, 600 * min, "log"), file("logs", 2, 600 * min, "log"), file("logs", 9, 1, "log")],
    });
    const result = plan(local, { runners: [runner(1), runner(2)], keepLogs: 0 });
    expect(result.remove).toEqual([]);
    // Only the one log without a record is considered at all (and it is too young).
    expect(result.keep).toEqual([{ kind: "log", name: vm(9), why: "younger than --min-age (0 s old)" }]);
  });

  it("removes leftovers at --min-age and older, keeps younger ones and says why", () => {
    const local = state({
      domains: [domain(1, 30 * min), domain(2, 29 * min), domain(3)],
      overlays: [file("overlays", 4, 31 * min, "qcow2"), file("overlays", 5, undefined, "qcow2")],
      secrets: [file("secrets", 6, 40 * min, "jit"), file("secrets", 7, 1 * min, "jit")],
    });
    const result = plan(local);
    expect(result.remove.map((r) => [r.kind, r.name])).toEqual([
      ["domain", vm(1)],
      ["overlay", vm(4)],
      ["secret", vm(6)],
    ]);
    expect(result.keep).toEqual([
      { kind: "domain", name: vm(2), why: "younger than --min-age (1740 s old)" },
      { kind: "domain", name: vm(3), why: "no runner-fleet metadata: not created by a controller" },
      { kind: "overlay", name: vm(5), why: "its age is unknown" },
      { kind: "secret", name: vm(7), why: "younger than --min-age (60 s old)" },
    ]);
    // --min-age 0 takes everything of ours, even without a known age.
    expect(plan(local, { minAgeMs: 0 }).remove.map((r) => r.name)).toEqual([vm(1), vm(2), vm(4), vm(5), vm(6), vm(7)]);
  });

  it("keeps an overlay whose domain still exists (the domain goes first)", () => {
    const local = state({ domains: [domain(1, 60 * min)], overlays: [file("overlays", 1, 60 * min, "qcow2")] });
    expect(plan(local).remove.map((r) => r.kind)).toEqual(["domain"]);
  });

  it("removes offline, idle registrations without record or domain; keeps busy and online ones", () => {
    const result = plan(state({ domains: [domain(4, 1)] }), { runners: [runner(1), runner(2, { busy: true, status: "online" }), runner(3, { status: "online" }), runner(4)] });
    expect(result.remove).toEqual([{ kind: "runner", name: vm(1), runnerId: 1, why: "offline registration with neither VM record nor domain" }]);
    expect(result.keep.map((k) => [k.name, k.why.split(":")[0]])).toEqual([
      [vm(4), "younger than --min-age (0 s old)"],
      [vm(2), "busy"],
      [vm(3), "online without a VM here"],
    ]);
    expect(plan(state({}), { runners: undefined }).remove).toEqual([]);
  });

  it("keeps the newest serial logs and removes old ones beyond the cap", () => {
    const logs = [1, 2, 3, 4].map((n) => file("logs", n, n * 60 * min, "log"));
    logs.push(file("logs", 5, 1 * min, "log"));
    const result = plan(state({ logs }));
    // Newest two (5, 1) kept by the cap; 2, 3, 4 beyond it and old enough.
    expect(result.remove.map((r) => r.name)).toEqual([vm(2), vm(3), vm(4)]);
  });
});

describe("inventory comparison", () => {
  it("names local problems and GitHub-side anomalies separately", () => {
    const local = state({
      records: new Map<string, VmRecord | undefined>([record(1, "idle"), record(2, "busy"), record(3, "booting"), record(4, "idle"), [vm(5), undefined], record(6, "provisioning")]),
      domains: [domain(1, 1), domain(2, 1), domain(7, 1)],
      overlays: [file("overlays", 8, 1, "qcow2"), file("overlays", 7, 1, "qcow2")],
      secrets: [file("secrets", 9, 1, "jit"), file("secrets", 6, 1, "jit")],
    });
    const runners = [runner(1, { status: "online" }), runner(2, { status: "offline", busy: true }), runner(10), runner(11, { busy: true, status: "online" })];
    const findings = compareInventory(local, runners).map((f) => [f.code, f.side, f.subject.slice(-1)]);
    expect(findings).toEqual([
      ["offline-runner", "github", "2"],
      ["record-without-domain", "local", "3"],
      ["record-without-domain", "local", "4"],
      ["vm-without-runner", "local", "4"],
      ["unreadable-record", "local", "5"],
      ["domain-without-record", "local", "7"],
      ["orphan-overlay", "local", "8"],
      ["orphan-secret", "local", "9"],
      ["runner-without-vm", "github", "0"],
      ["busy-runner-without-vm", "github", "1"],
    ]);
    // Without GitHub's list, nothing is said about runners.
    expect(compareInventory(local, undefined).some((f) => f.side === "github" || f.code === "vm-without-runner")).toBe(false);
  });
});
