/**
 * The admin API under `/_emulator/` (documented in docs/emulator.md): enqueue jobs and read
 * their status, read the whole state, switch faults, add webhook targets, list deliveries.
 * Not part of GitHub's surface: errors are `{message}` with 400/404/409.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatedGitHub } from "./emulated-github.ts";
import { parseFaultSettings, type FaultInjector } from "./faults.ts";
import { GitHubHttpError } from "./http-error.ts";
import { parseJsonBody, readBody, sendJson } from "./http-io.ts";
import { parseEnqueueJob } from "./job-request.ts";
import type { Runner } from "./state.ts";
import type { WebhookDispatcher } from "./webhooks.ts";

export interface AdminContext {
  gh: EmulatedGitHub;
  faults: FaultInjector;
  webhooks: WebhookDispatcher;
}

function scopeName(runner: Runner): string {
  return runner.scope.kind === "org" ? runner.scope.org : runner.scope.repository;
}

/** Everything, for tests and the lab: runners, jobs, variables, faults (and where they fired), webhook targets. */
export function stateSnapshot(ctx: AdminContext): Record<string, unknown> {
  const { gh } = ctx;
  const { state } = gh;
  return {
    app: {
      id: state.app.id,
      slug: state.app.slug,
      installations: [...state.installations.values()].map((i) => ({ id: i.id, account: i.account })),
    },
    repositories: [...state.repositories.values()]
      .filter((r) => r.installed)
      .map((r) => ({ id: r.id, fullName: r.fullName, private: r.private })),
    runnerGroups: [...state.runnerGroups.values()].map((g) => ({
      org: g.org,
      id: g.id,
      name: g.name,
      visibility: g.visibility,
      selectedRepositoryIds: g.selectedRepositoryIds,
    })),
    runners: [...state.runners.values()].map((r) => ({
      id: r.id,
      name: r.name,
      scope: scopeName(r),
      groupId: r.groupId,
      status: gh.runnerStatus(r),
      busy: r.jobId !== null,
      jobId: r.jobId,
      labels: r.labels.map((l) => l.name),
      jitUsed: r.jitUsed,
      neverConnects: r.neverConnects,
    })),
    jobs: [...state.jobs.values()].map((j) => gh.jobView(j)),
    variables: Object.fromEntries(
      [...state.variables.entries()].map(([repo, vars]) => [repo, Object.fromEntries([...vars.values()].map((v) => [v.name, v.value]))]),
    ),
    faults: ctx.faults.current(),
    faultsFired: ctx.faults.firings(),
    webhooks: ctx.webhooks.targets.map((t) => ({ id: t.id, url: t.url })),
    deliveries: ctx.webhooks.deliveries.length,
  };
}

function badRequest(message: string): GitHubHttpError {
  return new GitHubHttpError(400, message);
}

function jobOf(ctx: AdminContext, raw: string) {
  const job = ctx.gh.state.jobs.get(Number(raw));
  if (!job) throw new GitHubHttpError(404, `no job ${raw}`);
  return job;
}

/** Handles `path` (relative to `/_emulator/`). */
export async function handleAdminRequest(req: IncomingMessage, res: ServerResponse, path: string, ctx: AdminContext): Promise<void> {
  const method = req.method ?? "GET";
  const body = parseJsonBody(await readBody(req));
  let m: RegExpExecArray | null;
  ctx.gh.sweep();

  if (method === "POST" && path === "jobs") {
    const spec = parseEnqueueJob(body);
    if ("error" in spec) throw badRequest(spec.error);
    return sendJson(res, 201, ctx.gh.enqueueJob(spec));
  }
  if (method === "GET" && path === "jobs") return sendJson(res, 200, [...ctx.gh.state.jobs.values()].map((j) => ctx.gh.jobView(j)));
  if (method === "GET" && (m = /^jobs\/(\d+)$/.exec(path))) return sendJson(res, 200, ctx.gh.jobView(jobOf(ctx, m[1]!)));
  if (method === "POST" && (m = /^jobs\/(\d+)\/(approve|cancel)$/.exec(path))) {
    const job = jobOf(ctx, m[1]!);
    if (m[2] === "approve") ctx.gh.approveJob(job);
    else ctx.gh.cancelJob(job);
    return sendJson(res, 200, ctx.gh.jobView(job));
  }
  if (method === "GET" && path === "state") return sendJson(res, 200, stateSnapshot(ctx));
  if (method === "GET" && path === "faults/fired") return sendJson(res, 200, ctx.faults.firings());
  if (path === "faults") {
    if (method === "GET") return sendJson(res, 200, ctx.faults.current());
    if (method === "DELETE") {
      ctx.faults.set({});
      return sendJson(res, 204, undefined);
    }
    if (method === "POST") {
      const settings = parseFaultSettings(body ?? {});
      if ("error" in settings) throw badRequest(settings.error);
      ctx.faults.set(settings);
      return sendJson(res, 200, ctx.faults.current());
    }
  }
  if (path === "webhooks") {
    if (method === "GET") return sendJson(res, 200, ctx.webhooks.targets.map((t) => ({ id: t.id, url: t.url })));
    if (method === "POST") {
      const b = (body ?? {}) as Record<string, unknown>;
      if (typeof b.url !== "string") throw badRequest("url: expected a string");
      if (typeof b.secret !== "string" || b.secret.length === 0) throw badRequest("secret: expected a non-empty string");
      let target;
      try {
        target = ctx.webhooks.addTarget(b.url, b.secret);
      } catch (error) {
        throw badRequest(`url: ${error instanceof Error ? error.message : String(error)}`);
      }
      return sendJson(res, 201, { id: target.id, url: target.url });
    }
  }
  if (method === "DELETE" && (m = /^webhooks\/(\d+)$/.exec(path))) {
    if (!ctx.webhooks.removeTarget(Number(m[1]))) throw new GitHubHttpError(404, `no webhook ${m[1]}`);
    return sendJson(res, 204, undefined);
  }
  if (method === "GET" && path === "deliveries") return sendJson(res, 200, ctx.webhooks.deliveries);
  if (method === "POST" && path === "repositories") {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b.fullName !== "string" || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(b.fullName)) throw badRequest("fullName: expected owner/name");
    const owner = ctx.gh.state.account(b.fullName.split("/")[0]!);
    if (!owner || !ctx.gh.state.installationFor(owner.login)) throw badRequest(`fullName: the app is not installed on ${b.fullName.split("/")[0]}`);
    if (ctx.gh.state.repository(b.fullName)?.installed) throw new GitHubHttpError(409, `${b.fullName} exists`);
    const repo = ctx.gh.state.addRepository(b.fullName, { createdAt: ctx.gh.now(), private: b.private !== false });
    return sendJson(res, 201, { id: repo.id, fullName: repo.fullName, private: repo.private });
  }
  throw new GitHubHttpError(404, `no admin endpoint ${method} /_emulator/${path}`);
}
