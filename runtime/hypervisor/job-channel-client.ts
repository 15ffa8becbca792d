/**
 * The host's end of the job channel (`runtime/protocol/job-channel.ts`), shared by both adapters:
 * QEMU and the in-memory double both serve the channel on a unix socket. Connects, sends the
 * message (again every `resendMs`, since a port the guest has not opened yet drops it), and
 * resolves on the guest's ack. The message itself is never part of an error or a log line.
 */
import { connect, type Socket } from "node:net";
import { encodeLine, LineSplitter, parseGuestAck, type HostMessage } from "../protocol/job-channel.ts";
import { JobChannelError } from "./errors.ts";

export interface SendOptions {
  timeoutMs: number;
  /** Sends the message again this often until it is acked (default 250 ms). */
  resendMs?: number;
}

export async function sendOverJobChannel(socketPath: string, message: HostMessage, options: SendOptions): Promise<void> {
  const socket = await open(socketPath, options.timeoutMs);
  const what = `${message.type} message ${message.id} over ${socketPath}`;
  try {
    await new Promise<void>((resolve, reject) => {
      const splitter = new LineSplitter();
      const line = encodeLine(message);
      const send = () => socket.write(line);
      const resend = setInterval(send, options.resendMs ?? 250);
      const timer = setTimeout(() => fail(new JobChannelError(`no ack for the ${what} within ${options.timeoutMs} ms`, "timeout")), options.timeoutMs);
      const done = () => {
        clearInterval(resend);
        clearTimeout(timer);
      };
      const fail = (error: Error) => {
        done();
        reject(error);
      };
      socket.on("data", (chunk: Buffer) => {
        for (const text of splitter.push(chunk.toString("utf8"))) {
          const ack = parseGuestAck(text);
          // Acks of earlier messages (a guest answering a repeat late) are not ours.
          if (ack?.id !== message.id) continue;
          done();
          if (ack.ok) resolve();
          else reject(new JobChannelError(`the guest refused the ${what}: ${ack.error}`, "refused"));
        }
      });
      socket.on("error", (error) => fail(new JobChannelError(`the ${what} failed: ${error.message}`, "unreachable")));
      socket.on("close", () => fail(new JobChannelError(`the channel closed before the ${what} was acked`, "unreachable")));
      send();
    });
  } finally {
    socket.destroy();
  }
}

function open(socketPath: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new JobChannelError(`could not connect to the job channel ${socketPath} within ${timeoutMs} ms`, "timeout"));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why = error.code === "ENOENT" ? "does not exist (is the domain running, with a job channel?)" : `cannot be reached (${error.code ?? error.message})`;
      reject(new JobChannelError(`the job channel ${socketPath} ${why}`, "unreachable"));
    });
  });
}
