/**
 * Faults the emulator can inject, switchable at run time (admin API `POST /_emulator/faults`).
 * The controller's reliability tests depend on them.
 *
 * Each fault is a rule: it fires with probability `rate` (default 1), at most `times` times
 * (default unlimited), and for REST faults only for requests whose `METHOD /path` contains `route`
 * and matches the template `operation` (e.g. `GET /repos/{owner}/{repo}/actions/runs/{run_id}`).
 * Rates draw from a generator seeded by `seed` (drawn when not given, and reported), so a run
 * with the same seed and the same requests fires the same faults. Every firing is counted per
 * fault and target, so a test can tell that a fault fired where it was aimed.
 */
import { z } from "zod";
import { describeIssues } from "../config/config-error.ts";
import { freshSeed, seededRandom, type Random } from "../ports/random.ts";
import { templatePattern } from "./router.ts";

const rule = {
  rate: z.number().min(0).max(1).optional(),
  times: z.number().int().min(0).optional(),
};
const routed = {
  ...rule,
  route: z.string().min(1).optional(),
  operation: z
    .string()
    .regex(/^(GET|POST|PUT|PATCH|DELETE) \/\S*$/, "expected METHOD /path/{param} as in GitHub's REST docs")
    .optional(),
};

export const faultSettingsSchema = z
  .object({
    /** Seeds the generator behind `rate`; drawn at random (and reported) when not given. */
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
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
export type FaultName = Exclude<keyof FaultSettings, "seed">;
/** Settings in effect: the seed is always known. */
export type ActiveFaultSettings = FaultSettings & { seed: number };

/** How often one fault fired at one target (`METHOD /path`, `workflow_job.<action>` or `new runner`). */
export interface FiredFault {
  fault: FaultName;
  target: string;
  count: number;
}

interface RuleSettings {
  rate?: number;
  times?: number;
  route?: string;
  operation?: string;
  action?: string;
}

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
  private settings: ActiveFaultSettings;
  private draw: Random;
  /** Firings per fault since the settings were last replaced (for `times`). */
  private readonly fired = new Map<FaultName, number>();
  /** Firings per `fault target`. */
  private readonly firedAt = new Map<string, FiredFault>();
  private readonly operations = new Map<string, RegExp>();

  /** `random` replaces the seeded generator (unit tests that script the draws). */
  constructor(private readonly random?: Random) {
    this.settings = { seed: freshSeed() };
    this.draw = random ?? seededRandom(this.settings.seed);
  }

  set(settings: FaultSettings): void {
    this.settings = { ...structuredClone(settings), seed: settings.seed ?? freshSeed() };
    this.draw = this.random ?? seededRandom(this.settings.seed);
    this.fired.clear();
    this.firedAt.clear();
  }

  current(): ActiveFaultSettings {
    return structuredClone(this.settings);
  }

  /** What fired since the settings were last replaced, most first. */
  firings(): FiredFault[] {
    return [...this.firedAt.values()].map((f) => ({ ...f })).sort((a, b) => b.count - a.count);
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
    const target = `workflow_job.${action}`;
    if (this.fires("dropWebhook", target, action)) return "drop";
    if (this.fires("duplicateWebhook", target, action)) return "duplicate";
    return "send";
  }

  forNewRunner(): boolean {
    return this.fires("runnerNeverConnects", "new runner");
  }

  private fires(name: FaultName, target: string, action?: string): boolean {
    const settings = this.settings[name] as RuleSettings | undefined;
    if (!settings || !this.aimsAt(settings, target, action)) return false;
    const fired = this.fired.get(name) ?? 0;
    if (settings.times !== undefined && fired >= settings.times) return false;
    if (this.draw() >= (settings.rate ?? 1)) return false;
    this.fired.set(name, fired + 1);
    const key = `${name} ${target}`;
    const at = this.firedAt.get(key) ?? { fault: name, target, count: 0 };
    at.count++;
    this.firedAt.set(key, at);
    return true;
  }

  private aimsAt(settings: RuleSettings, target: string, action: string | undefined): boolean {
    if (settings.route !== undefined && !target.includes(settings.route)) return false;
    if (settings.action !== undefined && settings.action !== action) return false;
    if (settings.operation !== undefined && !this.operationPattern(settings.operation).test(target)) return false;
    return true;
  }

  private operationPattern(operation: string): RegExp {
    let pattern = this.operations.get(operation);
    if (!pattern) {
      const [method, template] = operation.split(" ") as [string, string];
      pattern = new RegExp(`^${method} ${templatePattern(template).pattern.source.slice(1)}`);
      this.operations.set(operation, pattern);
    }
    return pattern;
  }
}
