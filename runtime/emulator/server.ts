/**
 * The GitHub emulator's HTTP server (plain node:http) and its in-process API.
 *
 * Serves GitHub's REST surface under `/` and `/api/v3/` (the GitHub Enterprise prefix), the
 * runner protocol under `/_runner/` and the admin API under `/_emulator/`. With `runnerListener`
 * the runner protocol moves to a listener of its own that serves nothing else: the only one
 * guests may reach. The admin API answers loopback peers only, whatever the listen address. For REST requests it
 * applies faults, authenticates (app JWT or installation token), dispatches through the route
 * table, adds GitHub's headers (rate limits, `Date` from the emulator's clock) and reports each
 * exchange to `onExchange` (the OpenAPI contract checker in tests).
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log/logger.ts";
import { systemClock, type Clock } from "../ports/clock.ts";
import { handleAdminRequest, stateSnapshot } from "./admin.ts";
import { credentialsOf, looksLikeJwt, publicKeyFromPem, verifyAppJwt } from "./auth.ts";
import { EmulatedGitHub, type JobView } from "./emulated-github.ts";
import type { ExchangeListener } from "./exchange.ts";
import { FaultInjector, parseFaultSettings, type FaultSettings, type FiredFault } from "./faults.ts";
import { GitHubHttpError } from "./http-error.ts";
import { parseJsonBody, readBody, sendJson } from "./http-io.ts";
import { enqueueJobSchema, type EnqueueJobRequest } from "./job-request.ts";
import type { Urls } from "./representations/urls.ts";
import { RouteTable, type Principal, type Reply } from "./router.ts";
import type { RestContext } from "./routes/access.ts";
import { actionsRunRoutes } from "./routes/actions-runs.ts";
import { installationRoutes } from "./routes/installations.ts";
import { pullRoutes } from "./routes/pulls.ts";
import { runnerGroupRoutes } from "./routes/runner-groups.ts";
import { runnerRoutes } from "./routes/runners.ts";
import { statusRoutes } from "./routes/statuses.ts";
import { variableRoutes } from "./routes/variables.ts";
import { handleRunnerRequest } from "./runner-protocol.ts";
import { defaultSeed, seedState, type SeedData } from "./seed.ts";
import { WebhookDispatcher, type Delivery } from "./webhooks.ts";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /**
   * A listener of its own for the runner protocol (all else there is 404), e.g. on the lab
   * network's gateway address; the main listener then no longer serves `/_runner/`.
   */
  runnerListener?: { host: string; port?: number };
  /**
   * Lab only: serves paths under `/_runner/` that the runner protocol does not (the lab's package
   * server, runtime/lab/package-server.ts); answers whether it handled the request.
   */
  runnerExtra?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;
  /** Base URL written into JIT configs (`ServerUrl`); default the runner listener's, or `${url}/_runner`. */
  runnerUrl?: string;
  seed?: SeedData;
  /** PEM public (or private) key of the app. Without it the emulator generates a key pair and exposes the private key. */
  appPublicKey?: string;
  webhooks?: { url: string; secret: string }[];
  /** Tokens that authenticate as a fully privileged user (a stand-in for a personal access token). */
  staticTokens?: string[];
  /** Installation access token lifetime; GitHub's is one hour. */
  installationTokenTtlSeconds?: number;
  /** A runner that has not polled for this long is offline (GitHub: about 30 s). */
  runnerOfflineAfterSeconds?: number;
  /** A runner silent this long while running a job is lost and its job fails (default 600 s). */
  runnerLostAfterSeconds?: number;
  clock?: Clock;
  /** Probability source for faults with a `rate`, replacing the seeded one (see faults.ts). */
  random?: () => number;
  onExchange?: ExchangeListener;
  logger?: Logger;
}

export interface EmulatorApp {
  id: number;
  slug: string;
  installations: { id: number; account: string }[];
  /** Installation id for an account login (org or user). */
  installationId(account: string): number;
  /** PEM private key, when the emulator generated the app key itself. Secret. */
  privateKey?: string;
}

export interface Emulator {
  /** Base URL, no trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  runnerUrl: string;
  port: number;
  /** Where the separate runner listener listens, when there is one. */
  runnerListener?: { host: string; port: number };
  app: EmulatorApp;
  enqueueJob(job: EnqueueJobRequest): { jobId: number; runId: number };
  job(jobId: number): JobView | undefined;
  setFaults(faults: FaultSettings): void;
  /** Where the current faults fired, and how often (also in the admin API's state). */
  faultsFired(): FiredFault[];
  addWebhook(url: string, secret: string): void;
  deliveries(): Delivery[];
  /** Resolves when every queued webhook delivery has been attempted. */
  webhooksIdle(): Promise<void>;
  /** The admin API's `GET /_emulator/state`. */
  snapshot(): Record<string, unknown>;
  /** The live model, for white-box tests. */
  readonly github: EmulatedGitHub;
  close(): Promise<void>;
}

const apiPrefix = "/api/v3";
const rateLimit = 5000;

interface RateWindow {
  used: number;
  resetAt: number;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const seed = options.seed ?? defaultSeed;
  let privateKey: string | undefined;
  let publicKey: KeyObject;
  if (options.appPublicKey) {
    publicKey = publicKeyFromPem(options.appPublicKey);
  } else {
    const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    publicKey = pair.publicKey;
    privateKey = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  }

  const state = seedState(seed, clock.now());
  const faults = new FaultInjector(options.random);
  const webhooks = new WebhookDispatcher(faults, { id: state.app.id }, () => clock.now(), options.logger);
  for (const target of options.webhooks ?? []) webhooks.addTarget(target.url, target.secret);

  let baseUrl = "";
  let runnerUrl = "";
  const gh = new EmulatedGitHub({
    state,
    clock,
    faults,
    webhooks,
    urls: () => ({ api: baseUrl, html: baseUrl }),
    runnerUrl: () => runnerUrl,
    offlineAfterMs: (options.runnerOfflineAfterSeconds ?? 30) * 1000,
    lostAfterMs: (options.runnerLostAfterSeconds ?? 600) * 1000,
    logger: options.logger,
  });
  const restContext: RestContext = { gh, installationTokenTtlSeconds: options.installationTokenTtlSeconds ?? 3600 };
  const routes = new RouteTable<RestContext>([
    ...installationRoutes,
    ...runnerRoutes,
    ...runnerGroupRoutes,
    ...variableRoutes,
    ...actionsRunRoutes,
    ...pullRoutes,
    ...statusRoutes,
  ]);
  const staticTokens = new Set(options.staticTokens ?? []);
  const rateWindows = new Map<string, RateWindow>();
  const adminContext = { gh, faults, webhooks };

  function principalOf(credential: string | undefined, needs: "app" | "installation"): Principal {
    if (credential === undefined) throw new GitHubHttpError(401, "Requires authentication");
    if (needs === "app") {
      if (!looksLikeJwt(credential)) throw new GitHubHttpError(401, "A JSON web token could not be decoded");
      const check = verifyAppJwt(credential, { id: state.app.id, publicKey }, Math.floor(clock.now() / 1000));
      if (!check.ok) throw new GitHubHttpError(401, check.message);
      return { kind: "app", appId: check.appId };
    }
    if (staticTokens.has(credential)) return { kind: "token" };
    const issued = state.installationTokens.get(credential);
    if (issued && issued.expiresAt > clock.now()) {
      const installation = state.installations.get(issued.installationId)!;
      return { kind: "installation", installationId: installation.id, account: installation.account };
    }
    if (looksLikeJwt(credential)) throw new GitHubHttpError(403, "Resource not accessible by integration");
    throw new GitHubHttpError(401, "Bad credentials");
  }

  function rateHeaders(key: string): Record<string, string> {
    const now = clock.now();
    let window = rateWindows.get(key);
    if (!window || window.resetAt <= now) {
      window = { used: 0, resetAt: now + 3600_000 };
      rateWindows.set(key, window);
    }
    window.used++;
    return {
      "x-ratelimit-limit": String(rateLimit),
      "x-ratelimit-remaining": String(Math.max(0, rateLimit - window.used)),
      "x-ratelimit-used": String(window.used),
      "x-ratelimit-reset": String(Math.ceil(window.resetAt / 1000)),
      "x-ratelimit-resource": "core",
    };
  }

  function faultReply(fault: { kind: string; status?: number; retryAfterSeconds?: number }, requestId: string): GitHubHttpError {
    if (fault.kind === "serverError") {
      const status = fault.status ?? 502;
      return new GitHubHttpError(status, status === 500 ? "Server Error" : status === 503 ? "Service Unavailable" : "Bad Gateway");
    }
    const retryAfter = String(fault.retryAfterSeconds ?? 1);
    if (fault.kind === "secondaryRateLimit") {
      return new GitHubHttpError(
        403,
        `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
        { "retry-after": retryAfter },
      );
    }
    return new GitHubHttpError(429, "API rate limit exceeded for installation.", {
      "retry-after": retryAfter,
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(Math.ceil(clock.now() / 1000) + (fault.retryAfterSeconds ?? 1)),
    });
  }

  async function handleRest(req: IncomingMessage, res: ServerResponse, url: URL, path: string, prefix: string): Promise<void> {
    const method = req.method ?? "GET";
    const requestId = randomUUID().toUpperCase().slice(0, 23);
    const rawBody = await readBody(req);
    let requestBody: unknown = rawBody === "" ? undefined : rawBody;
    try {
      requestBody = parseJsonBody(rawBody);
    } catch {
      // Kept as text: the exchange shows what was sent; the reply below is a 400.
    }
    let reply: Reply;
    const credential = credentialsOf(req.headers.authorization);
    const headers: Record<string, string> = {
      date: new Date(clock.now()).toUTCString(),
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
      "x-github-request-id": requestId,
    };
    try {
      gh.sweep();
      const faultList = faults.forRequest(method, path);
      for (const fault of faultList) {
        if (fault.kind === "latency") await new Promise((resolve) => setTimeout(resolve, fault.ms));
        else throw faultReply(fault, requestId);
      }
      const match = routes.match(method, path);
      if (!match) throw new GitHubHttpError(404, "Not Found");
      const principal = principalOf(credential, match.route.auth);
      if (match.route.auth === "installation" && principal.kind === "app") throw new GitHubHttpError(403, "Resource not accessible by integration");
      Object.assign(headers, rateHeaders(principal.kind === "installation" ? `i${principal.installationId}` : principal.kind));
      const body = parseJsonBody(rawBody);
      const urls: Urls = { api: `${baseUrl}${prefix}`, html: baseUrl };
      reply = await match.route.handle(
        { method, path, params: match.params, url, body, principal, urls, credential },
        restContext,
      );
    } catch (error) {
      if (!(error instanceof GitHubHttpError)) throw error;
      reply = { status: error.status, body: error.body(), headers: error.headers };
    }
    const responseHeaders = { ...headers, ...(reply.headers ?? {}) };
    sendJson(res, reply.status, reply.body, responseHeaders);
    options.onExchange?.({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      requestBody,
      status: reply.status,
      responseHeaders,
      responseBody: reply.body === undefined ? undefined : (JSON.parse(JSON.stringify(reply.body)) as unknown),
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? `${host}:0`}`);
    let path = url.pathname;
    let prefix = "";
    if (path === apiPrefix || path.startsWith(`${apiPrefix}/`)) {
      prefix = apiPrefix;
      path = path.slice(apiPrefix.length) || "/";
    }
    try {
      if (path.startsWith("/_emulator/")) {
        if (!isLoopbackPeer(req.socket.remoteAddress)) throw new GitHubHttpError(403, "the emulator's admin API answers loopback clients only");
        return await handleAdminRequest(req, res, path.slice("/_emulator/".length), adminContext);
      }
      if (path.startsWith("/_runner/")) {
        // With a runner listener of its own, the runner protocol lives there only.
        if (options.runnerListener) throw new GitHubHttpError(404, "Not Found");
        return await handleRunner(req, res, url, path);
      }
      return await handleRest(req, res, url, path, prefix);
    } catch (error) {
      replyError(res, error, path);
    }
  }

  async function handleRunner(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void> {
    if (options.runnerExtra && (await options.runnerExtra(req, res, path.slice("/_runner/".length)))) return;
    await handleRunnerRequest(req, res, path.slice("/_runner/".length), url, gh);
  }

  /** The runner listener: the runner protocol and nothing else, whatever a guest asks for. */
  async function handleRunnerOnly(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://runner.invalid");
    try {
      if (!url.pathname.startsWith("/_runner/")) throw new GitHubHttpError(404, "Not Found");
      await handleRunner(req, res, url, url.pathname);
    } catch (error) {
      replyError(res, error, url.pathname);
    }
  }

  function replyError(res: ServerResponse, error: unknown, path: string): void {
    if (error instanceof GitHubHttpError) {
      sendJson(res, error.status, { message: error.message }, error.headers);
      return;
    }
    options.logger?.error({ err: error, path }, "emulator request failed");
    sendJson(res, 500, { message: error instanceof Error ? error.message : String(error) });
  }

  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  const runnerServer = options.runnerListener ? createServer((req, res) => void handleRunnerOnly(req, res)) : undefined;
  // Long polls hold connections open; keep-alive sockets must not block close().
  const sweeper = setInterval(() => gh.sweep(), 1000);
  sweeper.unref();
  const port = await listen(server, options.port ?? 0, host);
  baseUrl = httpUrl(host, port);
  const runnerListener =
    runnerServer && options.runnerListener
      ? { host: options.runnerListener.host, port: await listen(runnerServer, options.runnerListener.port ?? 0, options.runnerListener.host) }
      : undefined;
  runnerUrl = options.runnerUrl ?? `${runnerListener ? httpUrl(runnerListener.host, runnerListener.port) : baseUrl}/_runner`;

  const app: EmulatorApp = {
    id: state.app.id,
    slug: state.app.slug,
    installations: [...state.installations.values()].map((i) => ({ id: i.id, account: i.account })),
    installationId(account: string): number {
      const found = state.installationFor(account);
      if (!found) throw new Error(`the emulator's app is not installed on ${account}`);
      return found.id;
    },
    ...(privateKey ? { privateKey } : {}),
  };

  return {
    url: baseUrl,
    runnerUrl,
    port,
    ...(runnerListener ? { runnerListener } : {}),
    app,
    github: gh,
    enqueueJob(job) {
      const spec = enqueueJobSchema.parse(job);
      return gh.enqueueJob(spec);
    },
    job(jobId) {
      const job = state.jobs.get(jobId);
      return job ? gh.jobView(job) : undefined;
    },
    setFaults(settings) {
      const parsed = parseFaultSettings(settings);
      if ("error" in parsed) throw new Error(`invalid faults: ${parsed.error}`);
      faults.set(parsed);
    },
    faultsFired: () => faults.firings(),
    addWebhook(url, secret) {
      webhooks.addTarget(url, secret);
    },
    deliveries: () => [...webhooks.deliveries],
    webhooksIdle: () => webhooks.idle(),
    snapshot: () => stateSnapshot(adminContext),
    close: async () => {
      clearInterval(sweeper);
      await Promise.all([server, runnerServer].map((s) => (s ? closeServer(s) : undefined)));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

function httpUrl(host: string, port: number): string {
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return `http://${urlHost === "0.0.0.0" ? "127.0.0.1" : urlHost}:${port}`;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (how a dual-stack socket reports them). */
export function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return address === "::1" || /^127\.\d+\.\d+\.\d+$/.test(v4);
}
