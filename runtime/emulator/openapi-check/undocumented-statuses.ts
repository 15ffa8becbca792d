/**
 * Statuses the emulator answers that GitHub's description does not document for the operation,
 * each with the reason it may. The contract checker accepts exactly these (and counts them); any
 * other undocumented status is a violation. docs/emulator.md shows this list as a table, and a
 * unit test keeps the two equal.
 */
export interface UndocumentedStatus {
  status: number;
  /** Operation ids it applies to; every operation when absent. */
  operations?: readonly string[];
  why: string;
}

const variableWrites = ["actions/create-repo-variable", "actions/update-repo-variable"];

export const undocumentedStatuses: readonly UndocumentedStatus[] = [
  { status: 401, why: "Missing, malformed or expired credentials (GitHub documents 401 for the whole API, not per operation)." },
  {
    status: 403,
    why: "The `secondaryRateLimit` fault (GitHub's secondary rate limit: 403 with `retry-after`), or an app JWT on an installation route (\"Resource not accessible by integration\").",
  },
  { status: 404, why: "A resource the credentials cannot see, or an unknown id: GitHub answers 404 rather than reveal that it exists." },
  { status: 429, why: "The `tooManyRequests` fault: the primary rate limit is exhausted (`x-ratelimit-remaining: 0`, `retry-after`)." },
  { status: 500, why: "The `serverError` fault with `status: 500`." },
  { status: 502, why: "The `serverError` fault (its default status)." },
  { status: 503, why: "The `serverError` fault with `status: 503`." },
  { status: 409, operations: variableWrites, why: "A variable of that name already exists (GitHub's answer; the description lists only the success)." },
  { status: 422, operations: variableWrites, why: "A name GitHub refuses: a `GITHUB_` prefix or a leading digit." },
  { status: 409, operations: ["actions/create-self-hosted-runner-group-for-org"], why: "A runner group of that name already exists." },
  {
    status: 422,
    operations: [
      "actions/create-self-hosted-runner-group-for-org",
      "actions/set-repo-access-to-self-hosted-runner-group-in-org",
      "actions/add-repo-access-to-self-hosted-runner-group-in-org",
    ],
    why: "A selected repository id that is not a repository of the organization.",
  },
  {
    status: 422,
    operations: ["actions/update-self-hosted-runner-group-for-org", "actions/delete-self-hosted-runner-group-from-org"],
    why: "The default runner group cannot be renamed or deleted.",
  },
  {
    status: 422,
    operations: ["repos/create-commit-status"],
    why: "No commit with that SHA in the repository (\"No commit found for SHA\"), or a missing or invalid `state`.",
  },
];

/** Why `status` may answer `operationId` although the description does not list it; undefined when it may not. */
export function undocumentedStatus(operationId: string, status: number): UndocumentedStatus | undefined {
  return undocumentedStatuses.find((s) => s.status === status && (s.operations === undefined || s.operations.includes(operationId)));
}
