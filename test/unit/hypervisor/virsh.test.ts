/**
 * The execFile layer with real programs: virsh against libvirt's built-in test driver
 * (test:///default, no daemon needed) and plain binaries for timeouts and argv handling.
 */
import { describe, expect, it } from "vitest";
import { CommandError, runCommand } from "../../../runtime/hypervisor/libvirt/run-command.ts";
import { createVirsh, VirshError } from "../../../runtime/hypervisor/libvirt/virsh.ts";
import { parseDominfo } from "../../../runtime/hypervisor/libvirt/virsh-output.ts";

describe("runCommand", () => {
  it("passes arguments as argv, never through a shell", async () => {
    const { stdout } = await runCommand("printf", ["%s|", "a; echo injected", "$(id)", "'b'"]);
    expect(stdout).toBe("a; echo injected|$(id)|'b'|");
  });

  it("feeds input on stdin", async () => {
    expect((await runCommand("cat", [], { input: "through stdin" })).stdout).toBe("through stdin");
  });

  it("fails with the exit code and stderr", async () => {
    const error = (await runCommand("sh", ["-c", "echo oops >&2; exit 3"]).catch((e: unknown) => e)) as CommandError;
    expect(error).toBeInstanceOf(CommandError);
    expect(error.exitCode).toBe(3);
    expect(error.stderr).toBe("oops\n");
    expect(error.message).toContain("oops");
  });

  it("kills a program that outlives its timeout", async () => {
    const started = Date.now();
    const error = (await runCommand("sleep", ["10"], { timeoutMs: 100 }).catch((e: unknown) => e)) as CommandError;
    expect(error.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports a missing program", async () => {
    await expect(runCommand("/nonexistent/program", [])).rejects.toBeInstanceOf(CommandError);
  });
});

describe("virsh", () => {
  const virsh = createVirsh({ uri: "test:///default" });

  it("runs a command against the given URI", async () => {
    expect((await virsh.run(["list", "--all", "--name"])).trim()).toBe("test");
    expect(parseDominfo(await virsh.run(["dominfo", "--domain", "test"])).state).toBe("running");
  });

  it("fails with a VirshError carrying virsh's message", async () => {
    const error = (await virsh.run(["dominfo", "--domain", "no-such-domain"]).catch((e: unknown) => e)) as VirshError;
    expect(error).toBeInstanceOf(VirshError);
    expect(error.command).toBe("dominfo");
    expect(error.stderr).toMatch(/failed to get domain 'no-such-domain'/);
    expect(error.message).toMatch(/^virsh dominfo failed: error: failed to get domain/);
  });

  it("reports an unreachable daemon as a VirshError too", async () => {
    const remote = createVirsh({ uri: "qemu+unix:///system?socket=/nonexistent/libvirt-sock", timeoutMs: 10_000 });
    await expect(remote.run(["version"])).rejects.toBeInstanceOf(VirshError);
  });
});
