/**
 * The GitHub adapter a controller config names (API URL, scope, App or break-glass token). The
 * controller, the operator commands, the lab and the benchmarks build it here; `tuning` adjusts
 * retries and waits to the caller (a daemon waits out rate limits, a person at a prompt does not).
 */
import type { ControllerConfig } from "../config/controller-config.ts";
import { createOctokitGitHub, type OctokitGitHub, type OctokitGitHubOptions } from "./octokit-github.ts";

export type GitHubTuning = Omit<Partial<OctokitGitHubOptions>, "apiUrl" | "scope" | "auth">;

export function gitHubFor(config: ControllerConfig, tuning: GitHubTuning = {}): OctokitGitHub {
  return createOctokitGitHub({ apiUrl: config.github.apiUrl, scope: config.github.scope, auth: config.github.auth, ...tuning });
}
