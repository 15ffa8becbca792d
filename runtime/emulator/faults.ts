/**
 * Faults the emulator can inject, switchable at run time (admin API `POST /_emulator/faults`).
 * The controller's reliability tests depend on them.
 *
 * Each fault is a rule: it fires with probability `rate` (default 1), at most `times` times
 * (default unlimited), and only for requests whose `METHOD /path` contains `route` (REST faults).
 */
import { z } from "zod";
import { describeIssues } from "../config/config-error.ts";

const rule = {
  rate: z.number().min(0).max(1).optional(),
  times: z.number().int().min(0).optional(),
};
const routed = { ...rule, route: z.string().min(1).optional() };

export const faultSettingsSchema = z
  .object({
    /** 5xx responses. */
    serverError: z.object({ ...routed, status: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional() }).strict().optional(),
    /** 403 "You have exceeded a secondary rate limit" with `retry-after`. */
    secondaryRateLimit: z.object({ ...routed, retryAfterSeconds: z.number().int().min(0).optional() }).strict().optional(),
    /** 429 with `retry-after` and an exhausted primary rate limit (`x-ratelimit-remaining: 0`). */
    tooManyRequests: z.object({ ...routed, retryAfterSeconds: z.number().int().min(0).optional() }).strict().optional(),
    /** Added latency before the response. */
    latency: z.object({ ...routed, ms: z.number().int().min(0).max(60_000) }).strict().optional(),
    /** workflow_job deliveries that are never sent (recorded as dropped). */
    dropWebhook: z.object({ ...rule, action: z.string().optional() }).strict().optional(),
    /** workflow_job deliveries sent twice with the same `X-GitHub-Delivery`. */
    duplicateWebhook: z.object({ ...rule, action: z.string().optional() }).strict().optional(),
    /** Runners (decided when their JIT config is generated) whose sessions are refused: they never come online. */
    runnerNeverConnects: z.object(rule).strict().optional(),
  })
  .strict();

export type FaultSettings = z.infer<typeof faultSettingsSchema>;
export type FaultName = keyof FaultSettings;

export function parseFaultSettings(value: unknown): FaultSettings | { error: string } {
  const result = faultSettingsSchema.safeParse(value);
  if (!result.success) return { error: describeIssues(result.error.issues).join("; ") };
  return result.data;
}

export type RestFault =
  | { kind: "latency"; ms: number }
  | { kind: "serverError"; status: number }
  | { kind: "secondaryRateLimit"; retryAfterSeconds: number }
  | { kind: "tooManyRequests"; retryAfterSeconds: number };

/** Holds the current settings and decides, per request or delivery, which faults fire. */
export class FaultInjector {
  private settings: FaultSettings = {};
  /** How often each fault fired since the settings were last replaced. */
  readonly fired = new Map<FaultName, number>();

  constructor(private readonly random: () => number = Math.random) {}

  set(settings: FaultSettings): void {
    this.settings = structuredClone(settings);
    this.fired.clear();
  }

  current(): FaultSettings {
    return structuredClone(this.settings);
  }

  /** Faults for one REST request, in the order they apply (latency first, then at most one error). */
  forRequest(method: string, path: string): RestFault[] {
    const target = `${method} ${path}`;
    const out: RestFault[] = [];
    const latency = this.settings.latency;
    if (latency && this.fires("latency", target)) out.push({ kind: "latency", ms: latency.ms });
    if (this.fires("serverError", target)) out.push({ kind: "serverError", status: this.settings.serverError?.status ?? 502 });
    else if (this.fires("secondaryRateLimit", target)) {
      out.push({ kind: "secondaryRateLimit", retryAfterSeconds: this.settings.secondaryRateLimit?.retryAfterSeconds ?? 1 });
    } else if (this.fires("tooManyRequests", target)) {
      out.push({ kind: "tooManyRequests", retryAfterSeconds: this.settings.tooManyRequests?.retryAfterSeconds ?? 1 });
    }
    return out;
  }

  /** What happens to one webhook delivery. */
  forDelivery(action: string): "drop" | "duplicate" | "send" {
    if (this.fires("dropWebhook", undefined, action)) return "drop";
    if (this.fires("duplicateWebhook", undefined, action)) return "duplicate";
    return "send";
  }

  forNewRunner(): boolean {
    return this.fires("runnerNeverConnects");
  }

  private fires(name: FaultName, target?: string, action?: string): boolean {
    const settings = this.settings[name] as { rate?: number; times?: number; route?: string; action?: string } | undefined;
    if (!settings) return false;
    if (settings.route !== undefined && (target === undefined || !target.includes(settings.route))) return false;
    if (settings.action !== undefined && settings.action !== action) return false;
    const fired = this.fired.get(name) ?? 0;
    if (settings.times !== undefined && fired >= settings.times) return false;
    if (this.random() >= (settings.rate ?? 1)) return false;
    this.fired.set(name, fired + 1);
    return true;
  }
}
