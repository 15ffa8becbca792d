/** The shared `virsh event` child, exercised with real child processes standing in for virsh. */
import { spawn, type ChildProcess } from "node:child_process";
import { describe, expect, it } from "vitest";
import { LifecycleEventStream } from "../../../runtime/hypervisor/libvirt/lifecycle-events.ts";
import type { HypervisorEvent } from "../../../runtime/ports/hypervisor.ts";
import { waitFor } from "../../contract/hypervisor.contract.ts";

/** A child that prints `lines`, then exits (or, with `stay`, waits to be killed). */
function fakeVirsh(lines: string[], stay: boolean): () => ChildProcess {
  const script = `process.stdout.write(${JSON.stringify(lines.map((l) => `${l}\n`).join(""))});` + (stay ? "setInterval(() => {}, 1000);" : "");
  return () => spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "pipe"] });
}

describe("LifecycleEventStream", () => {
  it("starts one child for all subscribers and hands each parsed event to every one of them", async () => {
    let spawned = 0;
    const make = fakeVirsh(
      ["event 'lifecycle' for domain 'a': Started Booted", "garbage", "event 'lifecycle' for domain 'a': Defined Added", "event 'lifecycle' for domain 'a': Stopped Destroyed"],
      true,
    );
    const stream = new LifecycleEventStream({ spawnChild: () => (spawned++, make()) });
    const first: HypervisorEvent[] = [];
    const second: HypervisorEvent[] = [];
    const stopFirst = stream.subscribe((e) => first.push(e));
    const stopSecond = stream.subscribe((e) => {
      second.push(e);
      throw new Error("a throwing listener must not disturb the others");
    });
    await waitFor(async () => first.length === 2 && second.length === 2, 5_000, "two events");
    expect(first).toEqual([
      { kind: "lifecycle", domain: "a", state: "running" },
      { kind: "lifecycle", domain: "a", state: "shutoff" },
    ]);
    expect(second).toEqual(first);
    expect(spawned).toBe(1);
    stopFirst();
    expect(stream.running).toBe(true);
    stopSecond();
    expect(stream.running).toBe(false);
  });

  it("restarts a child that dies while someone listens, backing off, and stops for good on unsubscribe", async () => {
    const restarts: number[] = [];
    let spawned = 0;
    const make = fakeVirsh(["event 'lifecycle' for domain 'b': Started Booted"], false);
    const stream = new LifecycleEventStream({
      spawnChild: () => (spawned++, make()),
      onRestart: ({ delayMs }) => restarts.push(delayMs),
      minRestartDelayMs: 20,
      maxRestartDelayMs: 80,
    });
    const events: HypervisorEvent[] = [];
    const stop = stream.subscribe((e) => events.push(e));
    await waitFor(async () => spawned >= 4, 10_000, "the child to be restarted three times");
    stop();
    expect(restarts.slice(0, 3)).toEqual([20, 40, 80]);
    expect(events.length).toBeGreaterThanOrEqual(3);
    const settledAt = spawned;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(spawned).toBe(settledAt);
    expect(stream.running).toBe(false);
  });

  it("kills the child when the last subscriber leaves", async () => {
    let child: ChildProcess | undefined;
    const make = fakeVirsh([], true);
    const stream = new LifecycleEventStream({ spawnChild: () => (child = make()) });
    const stop = stream.subscribe(() => undefined);
    stop();
    stop();
    await waitFor(async () => child?.exitCode !== null || child?.signalCode !== null, 5_000, "the child to exit");
    expect(child?.signalCode).toBe("SIGTERM");
  });
});
