import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { serveJobChannel, type ChannelHandlers } from "../../../runtime/guest-agent/job-channel.ts";
import { findAccount } from "../../../runtime/guest-agent/privileges.ts";
import { JobChannelError } from "../../../runtime/hypervisor/errors.ts";
import { sendOverJobChannel } from "../../../runtime/hypervisor/job-channel-client.ts";
import { serveMemoryChannel } from "../../../runtime/hypervisor/memory/memory-channel.ts";

async function* from(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

async function serve(lines: string[], handlers: Partial<ChannelHandlers> = {}) {
  const written: unknown[] = [];
  const said: string[] = [];
  const endpoint = { lines: from(lines), write: async (line: string) => void written.push(JSON.parse(line)) };
  const result = await serveJobChannel(endpoint, { job: async () => undefined, ...handlers } as ChannelHandlers, (l) => said.push(l)).then(
    (job) => ({ job }),
    (error: Error) => ({ error: error.message }),
  );
  return { result, written, said };
}

const job = (id: string, jitConfig = "SECRET") => JSON.stringify({ type: "job", id, jitConfig });

describe("serveJobChannel (the guest's end)", () => {
  it.each([
    ["a job is acked and returned", [job("1")], { job: { type: "job", id: "1", jitConfig: "SECRET" } }, [{ type: "ack", id: "1", ok: true }]],
    ["cut and malformed lines are skipped", ['ig":"x"}', "{", job("2")], { job: { type: "job", id: "2", jitConfig: "SECRET" } }, [{ type: "ack", id: "2", ok: true }]],
    [
      "an unknown type is refused, and the job after it taken",
      ['{"type":"teleport","id":"t"}', job("3")],
      { job: { type: "job", id: "3", jitConfig: "SECRET" } },
      [{ type: "ack", id: "t", ok: false, error: 'unknown message type "teleport"' }, { type: "ack", id: "3", ok: true }],
    ],
    [
      "a job without a config is refused",
      ['{"type":"job","id":"4"}'],
      { error: "the job channel closed before a job arrived" },
      [{ type: "ack", id: "4", ok: false, error: "a job message needs a non-empty string jitConfig" }],
    ],
    ["no job before the channel ends", [], { error: "the job channel closed before a job arrived" }, []],
  ])("%s", async (_, lines, result, acks) => {
    const served = await serve(lines);
    expect(served.result).toEqual(result);
    expect(served.written).toEqual(acks);
    expect(served.said.join("\n")).not.toContain("SECRET");
  });

  it("a repeated id is applied once and answered with the first ack", async () => {
    let clocks = 0;
    const clock = '{"type":"clock","id":"c","epochMs":1}';
    const served = await serve([clock, clock, job("5")], { clock: async () => void clocks++ });
    expect(clocks).toBe(1);
    expect(served.written).toEqual([{ type: "ack", id: "c", ok: true }, { type: "ack", id: "c", ok: true }, { type: "ack", id: "5", ok: true }]);
  });

  it("a runner that cannot start is refused in the ack, and the guest gives up", async () => {
    const served = await serve([job("6")], { job: async () => Promise.reject(new Error("no user runner in /etc/passwd")) });
    expect(served.result).toEqual({ error: "no user runner in /etc/passwd" });
    expect(served.written).toEqual([{ type: "ack", id: "6", ok: false, error: "the runner did not start: no user runner in /etc/passwd" }]);
  });
});

describe("sendOverJobChannel (the host's end) against the double's port", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function port() {
    dir = await mkdtemp(join(tmpdir(), "rf-channel-"));
    return { socket: join(dir, "vm.sock"), channel: await serveMemoryChannel(join(dir, "vm.sock")) };
  }

  it("resends until the guest opens its end: what came before was dropped, as by virtio-serial", async () => {
    const { socket, channel } = await port();
    const sending = sendOverJobChannel(socket, { type: "job", id: "late", jitConfig: "cfg" }, { timeoutMs: 5_000, resendMs: 50 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const endpoint = channel.port.open();
    const taken = await serveJobChannel(endpoint, { job: async () => undefined }, () => undefined);
    await sending;
    expect(taken.jitConfig).toBe("cfg");
    await channel.close();
  });

  it("a refusal comes back as a JobChannelError with the guest's reason", async () => {
    const { socket, channel } = await port();
    const endpoint = channel.port.open();
    void serveJobChannel(endpoint, { job: async () => undefined }, () => undefined).catch(() => undefined);
    const error = await sendOverJobChannel(socket, { type: "warp", id: "w" }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobChannelError);
    expect((error as JobChannelError).kind).toBe("refused");
    expect((error as Error).message).toContain('unknown message type "warp"');
    endpoint.close();
    await channel.close();
  });
});

describe("findAccount", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\nrunner:x:1000:1000::/home/runner:/bin/sh\n";
  it.each([
    ["runner", { name: "runner", uid: 1000, gid: 1000, home: "/home/runner", shell: "/bin/sh" }],
    ["root", { name: "root", uid: 0, gid: 0, home: "/root", shell: "/bin/bash" }],
  ])("%s", (name, account) => {
    expect(findAccount(passwd, name)).toEqual(account);
  });
  it("names a missing user", () => {
    expect(() => findAccount(passwd, "nobody")).toThrow("no user nobody in /etc/passwd");
  });
});
