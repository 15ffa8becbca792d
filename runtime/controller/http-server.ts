/**
 * The controller's HTTP surface (see endpoints.ts): the status page for people; health, metrics,
 * status and inventory for dashboards and the CLI; the webhook receiver; drain/resume behind a
 * bearer token.
 *
 * Requests are answered from what the reconciler last computed; nothing here waits on libvirt
 * or GitHub, which is how webhooks get their answer well within GitHub's 10 seconds.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { Logger } from "../log/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { controllerEndpoints } from "./endpoints.ts";
import { leftoverCounts } from "./leftovers.ts";
import type { StatusDocument, InventoryDocument } from "./status-report.ts";
import { renderStatusPage, type GuardView } from "./status-page.ts";

/** GitHub caps payloads at 25 MB, but a workflow_job delivery is a few KiB: refuse anything big. */
export const maxBodyBytes = 1 << 20;

export interface WebhookReply {
  status: number;
  body: Record<string, unknown>;
}

export interface ControllerHttpOptions {
  logger: Logger;
  metrics: Metrics;
  status: () => StatusDocument | undefined;
  inventory: () => InventoryDocument | undefined;
  health: () => { healthy: boolean; problems: string[] };
  /** What the status page says about the guard (only the guard's host knows its decisions). */
  guard?: () => GuardView;
  webhook?: { path: string; handle: (headers: IncomingMessage["headers"], body: Buffer) => Promise<WebhookReply> };
  admin?: { token: string; drain: () => Promise<void>; resume: () => Promise<void> };
}

export function createControllerServer(options: ControllerHttpOptions): Server {
  const server = createServer((req, res) => {
    route(req, res, options).catch((error: unknown) => {
      options.logger.error({ event: "http_error", path: req.url, err: error instanceof Error ? error.message : String(error) }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  // A slow or stalled client must not hold a connection open indefinitely.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  return server;
}

async function route(req: IncomingMessage, res: ServerResponse, options: ControllerHttpOptions): Promise<void> {
  const path = new URL(req.url ?? "/", "http://controller").pathname;
  const method = req.method ?? "GET";

  if (options.webhook && path === options.webhook.path) {
    if (method !== "POST") return sendJson(res, 405, { error: "use POST" });
    const body = await readBody(req, maxBodyBytes);
    if (body === "too_large") {
      options.metrics.webhookDeliveries.inc({ result: "too_large" });
      options.logger.warn({ event: "webhook_rejected", reason: "too_large", delivery: req.headers["x-github-delivery"] }, "webhook body too large");
      res.setHeader("connection", "close");
      return sendJson(res, 413, { error: `body exceeds ${maxBodyBytes} bytes` });
    }
    const reply = await options.webhook.handle(req.headers, body);
    return sendJson(res, reply.status, reply.body);
  }

  if (method === "GET") {
    switch (path) {
      case controllerEndpoints.page:
        return sendPage(res, renderStatusPage({ status: options.status(), inventory: options.inventory(), guard: options.guard?.() ?? { kind: "elsewhere" } }));
      case controllerEndpoints.health: {
        const health = options.health();
        return sendJson(res, health.healthy ? 200 : 503, { status: health.healthy ? "ok" : "degraded", problems: health.problems });
      }
      case controllerEndpoints.metrics:
        setLeftovers(options.metrics, options.inventory());
        res.writeHead(200, { "content-type": options.metrics.registry.contentType });
        res.end(await options.metrics.registry.metrics());
        return;
      case controllerEndpoints.status:
        return sendDocument(res, options.status());
      case controllerEndpoints.inventory:
        return sendDocument(res, options.inventory());
    }
  }

  if (method === "POST" && (path === controllerEndpoints.drain || path === controllerEndpoints.resume)) {
    if (!options.admin) return sendJson(res, 404, { error: "admin endpoints are disabled (no adminToken configured)" });
    if (!bearerMatches(req.headers.authorization, options.admin.token)) return sendJson(res, 401, { error: "bad or missing bearer token" });
    await (path === controllerEndpoints.drain ? options.admin.drain() : options.admin.resume());
    options.logger.info({ event: path === controllerEndpoints.drain ? "drain" : "resume" }, "admin request");
    return sendJson(res, 200, { draining: path === controllerEndpoints.drain });
  }

  sendJson(res, 404, { error: `no route for ${method} ${path}` });
}

function sendDocument(res: ServerResponse, document: object | undefined): void {
  if (!document) return sendJson(res, 503, { error: "no reconcile pass has completed yet" });
  sendJson(res, 200, document);
}

/** Counted at scrape time from the last pass's inventory (none before the first pass). */
function setLeftovers(metrics: Metrics, inventory: InventoryDocument | undefined): void {
  if (!inventory) return;
  for (const [kind, count] of Object.entries(leftoverCounts(inventory))) metrics.leftovers.set({ kind }, count);
}

/** The page's only script and styles are inline; nothing else may load or run. */
const pagePolicy = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function sendPage(res: ServerResponse, text: string): void {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "content-security-policy": pagePolicy,
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
  });
  res.end(text);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Reads a body up to `limit` bytes; beyond that, stops reading and says so. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too_large"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve("too_large");
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too_large");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? "");
  if (!match) return false;
  const given = Buffer.from(match[1]!);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
