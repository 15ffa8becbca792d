/**
 * The multi-host lab end to end with the memory driver: three controllers, each its own process in
 * its own network namespace, one private PostgreSQL, the emulator; one host SIGKILLed mid-burst and
 * another cut off for longer than a lease. Its last line carries the fleet's invariants, measured
 * by the lab (docs/coordination.md): every job served once, no second VM for a job, the killed
 * host's claims taken over, nothing left behind.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("fleet lab --hosts 3 --driver memory", () => {
  it("serves every job once through a host crash and a cut-off, and leaves nothing behind", async () => {
    const { stdout } = await run(process.execPath, ["dist/fleet.cjs", "lab", "--hosts", "3", "--driver", "memory", "--jobs", "12"], {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 420_000,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      // Exit 3 still prints the report: the assertions below say which invariant broke.
      if (error.stdout?.includes("multi-host:")) return { stdout: error.stdout };
      throw new Error(`the lab failed:\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
    });
    const lines = stdout.trimEnd().split("\n");
    const last = lines.at(-1)!;
    const match = /^multi-host: jobs (\d+) served (\d+), duplicate VMs (\d+), reclaimed (\d+) \(max reclaim ([\d.]+|-) s\), leaks (\d+)$/.exec(last);
    expect(match, stdout).not.toBeNull();
    const [jobs, served, duplicates, reclaimed, , leaks] = match!.slice(1).map(Number);
    expect({ jobs, served, duplicates, leaks }, stdout).toEqual({ jobs: 12, served: 12, duplicates: 0, leaks: 0 });
    expect(reclaimed, stdout).toBeGreaterThanOrEqual(1);
    // Every job's row names the host that ran it, one of the three.
    const rows = lines.filter((line) => /^lab-job-\d+ /.test(line));
    expect(rows).toHaveLength(12);
    for (const row of rows) expect(row.split(/\s+/)[1], row).toMatch(/^h[123]$/);
    // Two faults were made, and the killed host was one of the three.
    expect(stdout).toMatch(/fault {7}SIGKILL h[123] holding [1-9]\d* claim/);
    expect(stdout).toMatch(/fault {7}h[123] cut off for 12 s \(lease 5 s\)/);
  });
});
