/** Strict flag parsing for every `fleet` command: an unknown or malformed flag is a usage error (exit 2). */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./exit-codes.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandLine<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** The flags of a command that takes no positional arguments. */
export function parseFlags<O extends Options>(argv: string[], options: O) {
  return parseCommandLine(argv, options).values;
}
