/**
 * Route matching from a table of (method, path template) entries, GitHub-style templates such
 * as `/repos/{owner}/{repo}/actions/runners/{runner_id}`. A literal segment beats a parameter.
 */
import type { Urls } from "./representations/urls.ts";

/** Who is calling, from the Authorization header. */
export type Principal =
  | { kind: "anonymous" }
  | { kind: "app"; appId: number }
  | { kind: "installation"; installationId: number; account: string }
  /** A static token given in the options (a stand-in for a PAT): may do everything. */
  | { kind: "token" };

export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  /** Absolute URL as the client sent it (with any `/api/v3` prefix), for pagination links. */
  url: URL;
  body: unknown;
  principal: Principal;
  /** The token from the Authorization header (for token revocation). */
  credential: string | undefined;
  urls: Urls;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route<Ctx> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  template: string;
  /** `app`: needs an app JWT; `installation`: an installation (or static) token. */
  auth: "app" | "installation";
  handle: (request: RouteRequest, ctx: Ctx) => Reply | Promise<Reply>;
}

interface Compiled<Ctx> {
  route: Route<Ctx>;
  pattern: RegExp;
  names: string[];
  literals: number;
}

/** A path template as a regular expression over the whole path: `{name}` is one segment. */
export function templatePattern(template: string): { pattern: RegExp; names: string[]; literals: number } {
  const segments = template.split("/").slice(1);
  const names: string[] = [];
  const pattern = new RegExp(
    "^/" +
      segments
        .map((s) => {
          const param = /^\{([^{}]+)\}$/.exec(s);
          if (!param) return s.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
          names.push(param[1]!);
          return "([^/]+)";
        })
        .join("/") +
      "$",
  );
  return { pattern, names, literals: segments.filter((s) => !s.startsWith("{")).length };
}

export class RouteTable<Ctx> {
  private readonly compiled: Compiled<Ctx>[];

  constructor(routes: readonly Route<Ctx>[]) {
    this.compiled = routes
      .map((route) => ({ route, ...templatePattern(route.template) }))
      .sort((a, b) => b.literals - a.literals);
  }

  /** The route for a request; undefined for paths GitHub does not serve (a 404). */
  match(method: string, path: string): { route: Route<Ctx>; params: Record<string, string> } | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const m = c.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1]!);
      });
      return { route: c.route, params };
    }
    return undefined;
  }
}
