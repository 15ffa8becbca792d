/**
 * The in-memory double's job channel: a unix socket at the spec's path, served the way QEMU
 * serves a virtio-serial port, so the host's real client (`job-channel-client.ts`) talks to it.
 * Like the port: what the host sends before the guest opens its end is dropped, and a guest's
 * write waits until a host is connected.
 */
import { rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { LineSplitter } from "../../protocol/job-channel.ts";
import type { ChannelEndpoint } from "../../guest-agent/job-channel.ts";

/** The guest's side of the port: opened once by whatever in the guest reads the channel. */
export interface GuestPort {
  open(): ChannelEndpoint & { close(): void };
}

export interface MemoryChannel {
  port: GuestPort;
  close(): Promise<void>;
}

export async function serveMemoryChannel(path: string): Promise<MemoryChannel> {
  let host: Socket | undefined;
  let reader: { push(line: string): void; end(): void } | undefined;
  const held: string[] = [];
  const server = createServer((socket) => {
    host = socket;
    const splitter = new LineSplitter();
    socket.on("data", (chunk: Buffer) => {
      for (const line of splitter.push(chunk.toString("utf8"))) reader?.push(line);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (host === socket) host = undefined;
    });
    for (const line of held.splice(0)) socket.write(line);
  });
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  return {
    port: {
      open() {
        const queue: string[] = [];
        let wake: (() => void) | undefined;
        let ended = false;
        reader = {
          push(line) {
            queue.push(line);
            wake?.();
          },
          end() {
            ended = true;
            wake?.();
          },
        };
        async function* lines(): AsyncGenerator<string> {
          for (;;) {
            while (queue.length > 0) yield queue.shift()!;
            if (ended) return;
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        }
        const opened = reader;
        return {
          lines: lines(),
          async write(line) {
            if (host) host.write(line);
            else held.push(line);
          },
          close() {
            opened.end();
            if (reader === opened) reader = undefined;
          },
        };
      },
    },
    async close() {
      reader?.end();
      reader = undefined;
      host?.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(path, { force: true });
    },
  };
}
