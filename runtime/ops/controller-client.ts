/**
 * Reading a controller over HTTP (its /status, /healthz, /inventory) and calling its admin
 * endpoints. Every call has a timeout: an operator command must not hang on a dead host.
 */
import { controllerEndpoints } from "../controller/endpoints.ts";
import type { InventoryDocument, StatusDocument } from "../controller/status-report.ts";

export const defaultControllerTimeoutMs = 5_000;

export type ControllerAnswer<T> = { ok: true; value: T } | { ok: false; error: string; status?: number };

/** A controller's base URL from what operators paste: a base URL, or its /status or /healthz URL. */
export function controllerBaseUrl(url: string): string {
  let base = url.trim().replace(/\/+$/, "");
  for (const path of [controllerEndpoints.status, controllerEndpoints.health, controllerEndpoints.inventory, controllerEndpoints.metrics]) {
    if (base.endsWith(path)) base = base.slice(0, -path.length);
  }
  return base;
}

/** Checks a --controller value: an http(s) URL. Returns the problem, or undefined. */
export function controllerUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${JSON.stringify(url)} is not a URL`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `${JSON.stringify(url)} is not an http(s) URL`;
  return undefined;
}

async function request(url: string, init: RequestInit & { timeoutMs?: number }): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? defaultControllerTimeoutMs) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text === "" ? undefined : (JSON.parse(text) as unknown);
    } catch {
      // Not JSON: keep the text for the error message.
    }
    return { status: response.status, body };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
    const name = (error as { name?: string }).name;
    if (name === "TimeoutError") return { error: "timed out" };
    return { error: cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error)) };
  }
}

function describeFailure(status: number, body: unknown): string {
  const detail = typeof body === "object" && body !== null && "error" in body ? String((body as { error: unknown }).error) : typeof body === "string" ? body.slice(0, 200) : "";
  return `HTTP ${status}${detail ? `: ${detail}` : ""}`;
}

async function getDocument<T>(base: string, path: string, accept: (body: unknown) => body is T, timeoutMs?: number): Promise<ControllerAnswer<T>> {
  const answer = await request(`${base}${path}`, { method: "GET", ...(timeoutMs ? { timeoutMs } : {}) });
  if ("error" in answer) return { ok: false, error: answer.error };
  if (answer.status !== 200) return { ok: false, error: describeFailure(answer.status, answer.body), status: answer.status };
  if (!accept(answer.body)) return { ok: false, error: `${path} did not answer with a version 1 document`, status: answer.status };
  return { ok: true, value: answer.body };
}

const isStatus = (body: unknown): body is StatusDocument =>
  typeof body === "object" && body !== null && (body as { version?: unknown }).version === 1 && Array.isArray((body as { recentJobs?: unknown }).recentJobs);

const isInventory = (body: unknown): body is InventoryDocument =>
  typeof body === "object" && body !== null && (body as { version?: unknown }).version === 1 && Array.isArray((body as { domains?: unknown }).domains);

export function readStatus(base: string, timeoutMs?: number): Promise<ControllerAnswer<StatusDocument>> {
  return getDocument(base, controllerEndpoints.status, isStatus, timeoutMs);
}

export function readInventory(base: string, timeoutMs?: number): Promise<ControllerAnswer<InventoryDocument>> {
  return getDocument(base, controllerEndpoints.inventory, isInventory, timeoutMs);
}

export interface HealthAnswer {
  healthy: boolean;
  problems: string[];
}

/** /healthz: 200 healthy, 503 degraded (both answers, with the problems); anything else fails. */
export async function readHealth(base: string, timeoutMs?: number): Promise<ControllerAnswer<HealthAnswer>> {
  const answer = await request(`${base}${controllerEndpoints.health}`, { method: "GET", ...(timeoutMs ? { timeoutMs } : {}) });
  if ("error" in answer) return { ok: false, error: answer.error };
  if (answer.status !== 200 && answer.status !== 503) return { ok: false, error: describeFailure(answer.status, answer.body), status: answer.status };
  const problems = (answer.body as { problems?: unknown } | undefined)?.problems;
  return { ok: true, value: { healthy: answer.status === 200, problems: Array.isArray(problems) ? problems.map(String) : [] } };
}

/** POST /admin/drain or /admin/resume with the bearer token (sent in a header, never logged). */
export async function postAdmin(base: string, action: "drain" | "resume", token: string, timeoutMs?: number): Promise<ControllerAnswer<{ draining: boolean }>> {
  const path = action === "drain" ? controllerEndpoints.drain : controllerEndpoints.resume;
  const answer = await request(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, ...(timeoutMs ? { timeoutMs } : {}) });
  if ("error" in answer) return { ok: false, error: answer.error };
  if (answer.status !== 200) return { ok: false, error: describeFailure(answer.status, answer.body), status: answer.status };
  return { ok: true, value: { draining: Boolean((answer.body as { draining?: unknown } | undefined)?.draining) } };
}
