/**
 * The agent's HTTP client: the small subset of fetch the runner protocol needs, on node:http.
 *
 * Why not the global fetch: under TCG, loading Node 18's fetch (undici) costs ~1.5 s of guest
 * time, and undici needs WebAssembly, which `node --jitless` (half the Node start-up time under
 * TCG) turns off. The global fetch still satisfies `FetchLike`, so callers may pass it instead.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface ResponseLike {
  status: number;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface RequestInitLike {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export type FetchLike = (url: URL, init: RequestInitLike) => Promise<ResponseLike>;

/** Answers larger than this are a protocol error, not something to buffer. */
const maxBodyBytes = 8 * 1024 * 1024;

export class TransportError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "TransportError";
  }
}

export const nodeHttpFetch: FetchLike = (url, init) =>
  new Promise((resolve, reject) => {
    if (init.signal?.aborted) return reject(new TransportError("aborted", "ABORT_ERR"));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const headers: Record<string, string | number> = { ...init.headers };
    if (init.body !== undefined) headers["content-length"] = Buffer.byteLength(init.body);
    const req = send(url, { method: init.method, headers, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBodyBytes) req.destroy(new TransportError(`answer larger than ${maxBodyBytes} bytes`, "EMSGSIZE"));
        else chunks.push(chunk);
      });
      res.on("error", (error) => reject(asTransportError(error)));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status: res.statusCode ?? 0,
          text: async () => text,
          json: async () => JSON.parse(text) as unknown,
        });
      });
    });
    req.on("error", (error) => reject(asTransportError(error)));
    req.end(init.body);
  });

function asTransportError(error: Error): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new TransportError(error.message, code);
}
