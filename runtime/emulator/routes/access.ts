/**
 * What a caller may see. GitHub answers 404, not 403, for repositories and organizations a
 * token cannot access, so nobody learns that they exist.
 */
import type { EmulatedGitHub } from "../emulated-github.ts";
import { GitHubHttpError, notFound } from "../http-error.ts";
import type { Principal, RouteRequest } from "../router.ts";
import type { Account, Repository } from "../state.ts";

export interface RestContext {
  gh: EmulatedGitHub;
  installationTokenTtlSeconds: number;
}

function mayAccessAccount(principal: Principal, login: string): boolean {
  if (principal.kind === "token") return true;
  if (principal.kind === "installation") return principal.account.toLowerCase() === login.toLowerCase();
  return false;
}

export function visibleRepository(request: RouteRequest, ctx: RestContext): Repository {
  const { owner, repo } = request.params;
  const found = ctx.gh.state.repository(`${owner}/${repo}`);
  if (!found || !found.installed || !mayAccessAccount(request.principal, found.owner)) throw notFound();
  return found;
}

export function visibleOrganization(request: RouteRequest, ctx: RestContext): Account {
  const account = ctx.gh.state.account(request.params.org ?? "");
  if (!account || account.type !== "Organization" || !mayAccessAccount(request.principal, account.login)) throw notFound();
  return account;
}

/** A numeric path parameter; GitHub answers 404 for ids that are not numbers. */
export function idParam(request: RouteRequest, name: string): number {
  const raw = request.params[name] ?? "";
  if (!/^\d+$/.test(raw)) throw notFound();
  return Number(raw);
}

export function conflict(message: string): GitHubHttpError {
  return new GitHubHttpError(409, message);
}
