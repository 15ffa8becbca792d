/**
 * Errors in GitHub's shape: `{message, documentation_url, status}` (status is a string, as
 * GitHub sends it). Route handlers throw these; the server turns them into responses.
 */
export const documentationUrl = "https://docs.github.com/rest";

export class GitHubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Extra members, e.g. `errors` of a validation failure. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "GitHubHttpError";
  }

  body(): Record<string, unknown> {
    return { message: this.message, documentation_url: documentationUrl, status: String(this.status), ...this.extra };
  }
}

export const notFound = (): GitHubHttpError => new GitHubHttpError(404, "Not Found");

/** GitHub's wording for a request body that fails its JSON schema: `Invalid request.\n\n<detail>` */
export const invalidRequest = (detail: string): GitHubHttpError =>
  new GitHubHttpError(422, `Invalid request.\n\n${detail}`);
