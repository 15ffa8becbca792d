/** GitHub writes timestamps as ISO 8601 in UTC without milliseconds: `2026-01-01T00:00:00Z`. */
export function githubTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
