/** The GitHub client operator commands use: the controller's adapter, tuned to fail fast. */
import type { ControllerConfig } from "../config/controller-config.ts";
import { createOctokitGitHub, type OctokitGitHub } from "../github/octokit-github.ts";
import { GitHubError } from "../ports/github.ts";

export function opsGitHub(config: ControllerConfig): OctokitGitHub {
  return createOctokitGitHub({
    apiUrl: config.github.apiUrl,
    auth: config.github.auth,
    scope: config.github.scope,
    // A person is waiting: one retry of a 5xx, no waiting out rate limits.
    retries: 1,
    rateLimitRetries: 0,
    secondMs: 200,
  });
}

/** True for errors that mean "GitHub could not be reached or would not answer now" (exit 4). */
export function isGitHubUnavailable(error: unknown): error is GitHubError {
  return error instanceof GitHubError && (error.status === 0 || error.status === 429 || error.status === 403 || error.status >= 500 || error.status === 401);
}
