/**
 * GitHub's rule for which runner may take a job: the runner's labels include every label the
 * job asks for. Labels compare case-insensitively.
 */
export function labelsSatisfy(runnerLabels: readonly string[], jobLabels: readonly string[]): boolean {
  const have = new Set(runnerLabels.map((label) => label.toLowerCase()));
  return jobLabels.every((label) => have.has(label.toLowerCase()));
}
