/** The GitHub client operator commands use: the controller's adapter, tuned to fail fast. */
import type { ControllerConfig } from "../config/controller-config.ts";
import { gitHubFor, type GitHubTuning } from "../github/from-config.ts";
import type { OctokitGitHub } from "../github/octokit-github.ts";
import { GitHubError } from "../ports/github.ts";

/** `overrides`: tests shrink the write spacing GitHub asks of real clients. */
export function opsGitHub(config: ControllerConfig, overrides: GitHubTuning = {}): OctokitGitHub {
  // A person is waiting: one retry of a 5xx, no waiting out rate limits.
  return gitHubFor(config, { retries: 1, rateLimitRetries: 0, ...overrides });
}

/** True for errors that mean "GitHub could not be reached or would not answer now" (exit 4). */
export function isGitHubUnavailable(error: unknown): error is GitHubError {
  return error instanceof GitHubError && (error.status === 0 || error.status === 429 || error.status === 403 || error.status >= 500 || error.status === 401);
}

/**
 * Says what went wrong with GitHub and returns the exit code (4 when it could not be reached or
 * would not answer now, 1 for anything else it refused), or rethrows what is not a GitHub error.
 */
export function gitHubFailure(error: unknown, command: string, apiUrl: string, stderr: NodeJS.WritableStream): number {
  if (!(error instanceof GitHubError)) throw error;
  stderr.write(`fleet ${command}: GitHub at ${apiUrl}: ${error.message}\n`);
  return isGitHubUnavailable(error) ? 4 : 1;
}
