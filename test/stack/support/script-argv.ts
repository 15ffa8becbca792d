/**
 * Where a secret file's content can end up on a command line, found by parsing POSIX shell (and
 * systemd Exec lines) rather than grepping: the script is split into simple commands, each into
 * assignments, redirections and argv; a taint pass then follows the secret from the commands that
 * read its file (`cat "$config"`, `$(<"$config")`, `read x <"$config"`) through variables, and
 * reports every argv word that would carry it (and xtrace, which would print it). argv is
 * world-readable in /proc/PID/cmdline for as long as the process runs; environment, stdin and
 * files of mode 0600 are not.
 *
 * It is a test's analyser, not a shell: it knows quoting, `$(…)`, backticks, `${…}`, heredocs,
 * pipelines, `sh -c`, `xargs` and the assignment builtins, and it is conservative (any command
 * that names the secret's path inside a substitution is taken to print the secret).
 */

export interface SimpleCommand {
  /** 1-based line where the command starts. */
  line: number;
  assignments: string[];
  argv: string[];
  redirects: { op: string; target: string }[];
  /** Position in its pipeline (0 = first). */
  pipeIndex: number;
}

type Token = { kind: "word"; text: string; line: number } | { kind: "op"; text: string; line: number };

const opChars = new Set([";", "&", "|", "(", ")", "\n"]);
const isBlank = (c: string) => c === " " || c === "\t" || c === "\r";

/** Splits a script into tokens; heredoc bodies are dropped (they are stdin, never argv). */
export function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  const pendingHeredocs: { delimiter: string; stripTabs: boolean }[] = [];
  let i = 0;
  let line = 1;
  const fail = (what: string): never => {
    throw new Error(`line ${line}: ${what}`);
  };

  /** Reads from `i` (just past an opening `$(`, `(` or `${`) to the matching close; returns its end. */
  function skipBalanced(open: string, close: string): void {
    let depth = 1;
    while (depth > 0) {
      if (i >= script.length) fail(`unterminated ${open}`);
      const c = script[i]!;
      if (c === "\\") i += 2;
      else if (c === "'") skipSingle();
      else if (c === '"') skipDouble();
      else if (c === "`") skipBacktick();
      else {
        if (c === "\n") line += 1;
        if (c === open) depth += 1;
        else if (c === close) depth -= 1;
        i += 1;
      }
    }
  }
  function skipSingle(): void {
    const end = script.indexOf("'", i + 1);
    if (end < 0) fail("unterminated single quote");
    line += script.slice(i, end).split("\n").length - 1;
    i = end + 1;
  }
  function skipBacktick(): void {
    i += 1;
    while (script[i] !== "`") {
      if (i >= script.length) fail("unterminated backtick");
      if (script[i] === "\n") line += 1;
      i += script[i] === "\\" ? 2 : 1;
    }
    i += 1;
  }
  function skipDollar(): boolean {
    if (script.startsWith("$(", i)) {
      i += 2;
      skipBalanced("(", ")");
      return true;
    }
    if (script.startsWith("${", i)) {
      i += 2;
      skipBalanced("{", "}");
      return true;
    }
    return false;
  }
  function skipDouble(): void {
    i += 1;
    while (script[i] !== '"') {
      if (i >= script.length) fail("unterminated double quote");
      const c = script[i]!;
      if (c === "\\") i += 2;
      else if (c === "`") skipBacktick();
      else if (c === "$" && skipDollar()) continue;
      else {
        if (c === "\n") line += 1;
        i += 1;
      }
    }
    i += 1;
  }
  function readWord(): string {
    const start = i;
    while (i < script.length) {
      const c = script[i]!;
      if ((c === "<" || c === ">") && script[i + 1] === "(") {
        // Process substitution: a /dev/fd path in argv, whatever runs inside.
        i += 2;
        skipBalanced("(", ")");
        continue;
      }
      if (isBlank(c) || opChars.has(c) || c === "<" || c === ">") break;
      if (c === "\\") {
        if (script[i + 1] === "\n") line += 1;
        i += 2;
      } else if (c === "'") skipSingle();
      else if (c === '"') skipDouble();
      else if (c === "`") skipBacktick();
      else if (c === "$" && skipDollar()) continue;
      else i += 1;
    }
    return script.slice(start, i);
  }
  function readHeredocBodies(): void {
    for (const { delimiter, stripTabs } of pendingHeredocs.splice(0)) {
      for (;;) {
        if (i >= script.length) fail(`heredoc ${delimiter} is not closed`);
        const end = script.indexOf("\n", i);
        const text = script.slice(i, end < 0 ? script.length : end);
        i = end < 0 ? script.length : end + 1;
        line += 1;
        if ((stripTabs ? text.replace(/^\t+/, "") : text) === delimiter) break;
      }
    }
  }

  while (i < script.length) {
    const c = script[i]!;
    if (isBlank(c)) i += 1;
    else if (c === "\\" && script[i + 1] === "\n") {
      i += 2;
      line += 1;
    } else if (c === "#") {
      while (i < script.length && script[i] !== "\n") i += 1;
    } else if (c === "\n") {
      tokens.push({ kind: "op", text: "\n", line });
      i += 1;
      line += 1;
      readHeredocBodies();
    } else if (opChars.has(c)) {
      const two = script.slice(i, i + 2);
      const text = ["&&", "||", ";;", "|&"].includes(two) ? two : c;
      tokens.push({ kind: "op", text, line });
      i += text.length;
    } else if ((c === "<" || c === ">") && script[i + 1] === "(") {
      tokens.push({ kind: "word", text: readWord(), line });
    } else {
      // A redirection operator, with an optional fd number before it (`2>&1`, `<<'EOF'`).
      const redirect = /^(\d*)(<<-|<<<|<<|>>|<&|>&|<>|>\||&>|<|>)/.exec(script.slice(i));
      if (redirect && (redirect[1] === "" || /^\d+[<>]/.test(script.slice(i)))) {
        const op = redirect[2]!;
        i += redirect[0].length;
        while (isBlank(script[i] ?? "")) i += 1;
        const target = readWord();
        if (target === "") fail(`${op} without a target`);
        if (op === "<<" || op === "<<-") pendingHeredocs.push({ delimiter: unquote(target), stripTabs: op === "<<-" });
        tokens.push({ kind: "op", text: `redirect ${op}`, line }, { kind: "word", text: target, line });
      } else {
        tokens.push({ kind: "word", text: readWord(), line });
      }
    }
  }
  if (pendingHeredocs.length > 0) fail(`heredoc ${pendingHeredocs[0]!.delimiter} is not closed`);
  return tokens;
}

const reservedPrefixes = new Set(["if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "fi", "done", "esac", "time"]);
const assignment = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;

/** The script's simple commands, in order (including those inside `$(…)` words, parsed separately). */
export function parseCommands(script: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let current: SimpleCommand | undefined;
  let pipeIndex = 0;
  let pendingRedirect: string | undefined;
  const finish = () => {
    if (current && (current.argv.length > 0 || current.assignments.length > 0 || current.redirects.length > 0)) commands.push(current);
    current = undefined;
  };
  for (const token of tokenize(script)) {
    if (token.kind === "op") {
      if (token.text.startsWith("redirect ")) {
        pendingRedirect = token.text.slice("redirect ".length);
        continue;
      }
      finish();
      pipeIndex = token.text === "|" || token.text === "|&" ? pipeIndex + 1 : 0;
      continue;
    }
    current ??= { line: token.line, assignments: [], argv: [], redirects: [], pipeIndex };
    if (pendingRedirect !== undefined) {
      current.redirects.push({ op: pendingRedirect, target: token.text });
      pendingRedirect = undefined;
    } else if (current.argv.length === 0 && reservedPrefixes.has(token.text)) {
      continue;
    } else if (current.argv.length === 0 && assignment.test(token.text)) {
      current.assignments.push(token.text);
    } else {
      current.argv.push(token.text);
    }
  }
  finish();
  return commands;
}

/** The bodies of the `$(…)` and backtick substitutions in a word, outermost first. */
export function substitutions(word: string): string[] {
  const found: string[] = [];
  let i = 0;
  let inSingle = false;
  while (i < word.length) {
    const c = word[i]!;
    if (c === "\\" && !inSingle) i += 2;
    else if (c === "'" && !insideDouble(word, i)) {
      inSingle = !inSingle;
      i += 1;
    } else if (inSingle) i += 1;
    else if (word.startsWith("$((", i)) i += 3;
    else if (word.startsWith("$(", i)) {
      const start = i + 2;
      let depth = 1;
      i = start;
      while (i < word.length && depth > 0) {
        if (word[i] === "(") depth += 1;
        else if (word[i] === ")") depth -= 1;
        i += 1;
      }
      found.push(word.slice(start, i - 1));
    } else if (c === "`") {
      const end = word.indexOf("`", i + 1);
      found.push(word.slice(i + 1, end < 0 ? word.length : end));
      i = end < 0 ? word.length : end + 1;
    } else i += 1;
  }
  return found;
}

function insideDouble(word: string, at: number): boolean {
  let inDouble = false;
  let inSingle = false;
  for (let i = 0; i < at; i += 1) {
    const c = word[i]!;
    if (c === "\\" && !inSingle) i += 1;
    else if (c === '"' && !inSingle) inDouble = !inDouble;
    else if (c === "'" && !inDouble) inSingle = !inSingle;
  }
  return inDouble;
}

/** A word with one level of shell quoting removed (enough for delimiters and `sh -c` scripts). */
export function unquote(word: string): string {
  if (word.length >= 2 && word.startsWith("'") && word.endsWith("'")) return word.slice(1, -1);
  if (word.length >= 2 && word.startsWith('"') && word.endsWith('"')) return word.slice(1, -1).replace(/\\(["\\$`])/g, "$1");
  return word.replace(/\\(.)/g, "$1");
}

const references = (word: string, names: Set<string>) =>
  [...names].some((name) => new RegExp(`\\$(\\{)?${name}(?![A-Za-z0-9_])`).test(word));

const assignmentBuiltins = new Set(["export", "readonly", "local", "declare", "typeset"]);
/** Commands that turn their stdin into argv. */
const argvFromStdin = new Set(["xargs", "parallel"]);
const shells = new Set(["sh", "bash", "dash", "/bin/sh", "/bin/bash", "/usr/bin/env"]);

export interface SecretFlow {
  /** Literal paths (or unique parts of them) of the secret file. */
  paths: string[];
  /** Environment variables that hold the secret from the start. */
  variables?: string[];
}

export interface ArgvLeak {
  line: number;
  command: string;
  why: string;
}

export interface ArgvAnalysis {
  leaks: ArgvLeak[];
  /** Commands that read the secret (so a test can tell the check saw it at all). */
  reads: number;
}

/** Follows the secret through `script` and lists every command line that would carry it. */
export function findArgvLeaks(script: string, flow: SecretFlow): ArgvAnalysis {
  const state = { pathVars: new Set<string>(), contentVars: new Set(flow.variables ?? []), reads: 0 };
  const leaks: ArgvLeak[] = [];
  analyse(script, flow, state, leaks);
  return { leaks, reads: state.reads };
}

type State = { pathVars: Set<string>; contentVars: Set<string>; reads: number };

function analyse(script: string, flow: SecretFlow, state: State, leaks: ArgvLeak[]): void {
  const namesPath = (word: string) => flow.paths.some((p) => word.includes(p)) || references(word, state.pathVars);
  /** Whether running `inner` (a substitution's body) prints the secret. */
  const printsSecret = (inner: string): boolean => {
    const commands = parseCommands(inner);
    const reads = commands.some(
      (c) =>
        c.argv.some(namesPath) ||
        c.redirects.some((r) => r.op.startsWith("<") && namesPath(r.target)) ||
        c.argv.some((w) => carries(w)),
    );
    if (reads) state.reads += 1;
    return reads;
  };
  const carries = (word: string): boolean => references(word, state.contentVars) || substitutions(word).some(printsSecret);
  const leak = (command: SimpleCommand, why: string) => leaks.push({ line: command.line, command: command.argv.join(" "), why });

  const commands = parseCommands(script);
  let pipelineReadsSecret = false;
  // With xtrace on, the shell prints every command and assignment, expanded, to stderr (the log).
  let xtrace = /^#!\S+(\s+\S+)*\s+-[a-z]*x/.test(script);
  for (const command of commands) {
    if (command.pipeIndex === 0) pipelineReadsSecret = false;
    if (command.argv[0] === "set") {
      const flags = command.argv.slice(1).join(" ");
      if (/(^|\s)-[a-z]*x|-o xtrace/.test(flags)) xtrace = true;
      if (/(^|\s)\+[a-z]*x|\+o xtrace/.test(flags)) xtrace = false;
    }
    if (xtrace && [...command.assignments, ...command.argv].some(carries)) leak(command, "xtrace prints the secret to the log");
    const readsFile = command.redirects.some((r) => r.op.startsWith("<") && namesPath(r.target));
    const readsArg = command.argv.length > 0 && ["cat", "head", "tail", "base64", "dd", "tee"].includes(command.argv[0]!) && command.argv.slice(1).some(namesPath);
    if (readsFile || readsArg) state.reads += 1;

    for (const word of command.assignments) bind(word);
    const [name, ...args] = command.argv;
    if (name === undefined) {
      pipelineReadsSecret ||= readsFile;
      continue;
    }
    if (assignmentBuiltins.has(name)) {
      for (const arg of args) if (assignment.test(arg)) bind(arg);
      else if (carries(arg)) leak(command, `${name} argument carries the secret`);
      continue;
    }
    if (name === "read") {
      // `read VAR <secret` or `… secret | read VAR`: the variables now hold the secret.
      if (readsFile || pipelineReadsSecret) for (const arg of args) if (/^[A-Za-z_]\w*$/.test(arg)) state.contentVars.add(arg);
      continue;
    }
    if (name === "for" || name === "case" || name === "in") continue;
    const carrying = command.argv.filter(carries);
    if (carrying.length > 0) leak(command, `argv word ${carrying.map((w) => JSON.stringify(w)).join(", ")} carries the secret`);
    if (argvFromStdin.has(name) && pipelineReadsSecret && command.pipeIndex > 0) leak(command, `${name} turns the secret on its stdin into argv`);
    // `sh -c SCRIPT`: the script runs with the same variables.
    const dashC = args.indexOf("-c");
    if (shells.has(name) && dashC >= 0 && args[dashC + 1] !== undefined) analyse(unquote(args[dashC + 1]!), flow, state, leaks);
    pipelineReadsSecret ||= readsFile || readsArg || carrying.length > 0;
  }

  function bind(word: string): void {
    const eq = word.indexOf("=");
    const variable = word.slice(0, eq).replace(/\+$/, "");
    const value = word.slice(eq + 1);
    if (carries(value)) state.contentVars.add(variable);
    else if (namesPath(value)) state.pathVars.add(variable);
  }
}

/** The command lines of a systemd unit's Exec*= settings, with their prefixes (`-@:+!`) removed. */
export function unitExecLines(unit: string): string[] {
  return unit
    .split("\n")
    .map((l) => /^\s*Exec[A-Za-z]*\s*=\s*(.*)$/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined && v !== "")
    .map((v) => v.replace(/^[-@:+!]+/, ""));
}
