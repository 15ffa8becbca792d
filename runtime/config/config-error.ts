import type { z } from "zod";

/** A configuration problem. The message names each offending key; it never echoes values. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}: ${problems.length === 1 ? problems[0] : "\n  " + problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/** `pools[1].max` style path for a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix = ""): string[] {
  return issues.map((issue) => {
    const at = issuePath(issue.path);
    const key = prefix === "" ? at : at === "(root)" ? prefix : `${prefix}.${at}`;
    return `${key}: ${issue.message}`;
  });
}

/** Parses `value` with `schema`, or throws a ConfigError listing every problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, source: string, prefix = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues, prefix));
  return result.data;
}
