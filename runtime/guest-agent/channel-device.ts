/**
 * The job channel's device inside a VM: /dev/vportNpM of the virtio-serial port, root only.
 *
 * The virtio console driver's read returns 0 at once while no host is connected (the controller
 * connects only to send), and blocks while one is connected and quiet; so a read of 0 means "try
 * again shortly", not the end. Reads and writes block in libuv's thread pool. Opened with
 * O_CLOEXEC (as libuv opens every file), so the job's steps never inherit it.
 */
import { close, open, read, write } from "node:fs";
import { promisify } from "node:util";
import { LineSplitter } from "../protocol/job-channel.ts";
import type { ChannelEndpoint } from "./job-channel.ts";

const readAsync = promisify(read);
const writeAsync = promisify(write);
const openAsync = promisify(open);

/** How long to wait before reading again while no host is connected. */
const idleReadMs = 50;
/** A write blocks while no host is connected: an ack nobody is there to read is not waited for longer. */
const writeWaitMs = 2_000;

export interface ChannelDevice extends ChannelEndpoint {
  close(): void;
}

export async function openChannelDevice(path: string): Promise<ChannelDevice> {
  const fd = await openAsync(path, "r+");
  let closed = false;
  let pending = 0;
  const finish = () => {
    if (closed && pending === 0) close(fd, () => undefined);
  };
  async function* lines(): AsyncGenerator<string> {
    const splitter = new LineSplitter();
    const buffer = Buffer.alloc(16 * 1024);
    while (!closed) {
      pending++;
      const bytes = await readAsync(fd, buffer, 0, buffer.length, null).then((r) => r.bytesRead).finally(() => pending--);
      if (closed) break;
      if (bytes === 0) {
        await new Promise((resolve) => setTimeout(resolve, idleReadMs));
        continue;
      }
      yield* splitter.push(buffer.subarray(0, bytes).toString("utf8"));
    }
    finish();
  }
  return {
    lines: lines(),
    async write(line) {
      pending++;
      const done = writeAsync(fd, line).finally(() => {
        pending--;
        finish();
      });
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, writeWaitMs).unref())]);
    },
    close() {
      closed = true;
      finish();
    },
  };
}
