/**
 * `runs-on` lint: checks a workflow file's jobs against the label policy, with file:line:column
 * positions (from the YAML parser's source ranges).
 *
 * Understands `runs-on` as a label, a label list, `{group, labels}`, `${{ matrix.KEY }}` (as a
 * whole value or a list item, resolved against the job's literal `strategy.matrix`), and the
 * routing form `${{ fromJSON(needs.JOB.outputs.runs-on) }}` where JOB is a job this job needs
 * (that value comes from the routing Action, which only emits policy-configured labels). Any
 * other expression cannot be checked statically and is reported as `unverifiable-expression`.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLMap } from "yaml";
import { hasLabel, missingLabels, normalizeLabel } from "./label-set.ts";
import { fleetLabelsOf, fleetVocabulary, type LabelPolicy } from "./policy.ts";

export const lintCodes = [
  "yaml-syntax",
  "invalid-workflow",
  "missing-runs-on",
  "invalid-runs-on",
  "empty-runs-on",
  "group-without-labels",
  "missing-fleet-label",
  "missing-base-label",
  "unknown-label",
  "unverifiable-expression",
] as const;
export type LintCode = (typeof lintCodes)[number];

export interface LintFinding {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  code: LintCode;
  /** The job id, when the finding belongs to one job. */
  job?: string;
  message: string;
}

export function formatFinding(finding: LintFinding): string {
  return `${finding.file}:${finding.line}:${finding.column}: ${finding.code}: ${finding.message}`;
}

/** Cap on matrix combinations checked for one `runs-on` list. */
const maxCombinations = 256;

interface LabelItem {
  label: string;
  node: Node;
  /** `matrix.os` when the label came from the matrix. */
  via?: string;
}

export function lintWorkflow(text: string, file: string, policy: LabelPolicy): LintFinding[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const findings: LintFinding[] = [];
  const at = (node: Node | undefined, code: LintCode, message: string, job?: string): void => {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    findings.push({ file, line, column: col, code, ...(job === undefined ? {} : { job }), message });
  };

  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      findings.push({ file, line, column: col, code: "yaml-syntax", message: error.message.split("\n")[0]! });
    }
    return findings;
  }
  const root = deref(doc, doc.contents);
  if (!isMap(root)) {
    at(root ?? undefined, "invalid-workflow", "a workflow is a mapping with a `jobs` key");
    return findings;
  }
  const jobs = deref(doc, root.get("jobs", true) as Node | undefined);
  if (!isMap(jobs)) {
    at(jobs ?? root, "invalid-workflow", "`jobs` must be a mapping of job ids to jobs");
    return findings;
  }
  const jobIds = jobs.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));

  for (const pair of jobs.items) {
    const jobId = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const keyNode = isScalar(pair.key) ? pair.key : undefined;
    const job = deref(doc, pair.value as Node | null);
    if (!isMap(job)) {
      at(job ?? keyNode, "invalid-workflow", `job "${jobId}" must be a mapping`, jobId);
      continue;
    }
    const runsOn = deref(doc, job.get("runs-on", true) as Node | undefined);
    if (runsOn === undefined || runsOn === null) {
      // A job that calls a reusable workflow has no runs-on of its own.
      if (!job.has("uses")) at(keyNode, "missing-runs-on", `job "${jobId}" has no runs-on`, jobId);
      continue;
    }
    const context: JobContext = {
      doc,
      jobId,
      jobIds,
      needs: needsOf(doc, job),
      matrix: deref(doc, job.getIn(["strategy", "matrix"], true) as Node | undefined),
      policy,
      report: (node, code, message) => at(node, code, message, jobId),
    };
    lintRunsOn(context, runsOn);
  }
  // Matrix combinations re-check the same literal labels: report each problem once.
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.line}:${f.column}:${f.code}:${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

interface JobContext {
  doc: Document;
  jobId: string;
  jobIds: string[];
  needs: string[];
  matrix: Node | null | undefined;
  policy: LabelPolicy;
  report(node: Node, code: LintCode, message: string): void;
}

function deref(doc: Document, node: Node | null | undefined): Node | null | undefined {
  let current = node;
  for (let i = 0; i < 16 && isAlias(current); i++) current = current.resolve(doc) as Node | undefined;
  return current;
}

function needsOf(doc: Document, job: YAMLMap): string[] {
  const needs = deref(doc, job.get("needs", true) as Node | undefined);
  const items = isSeq(needs) ? needs.items.map((item) => deref(doc, item as Node)) : [needs];
  return items.flatMap((item) => (isScalar(item) && typeof item.value === "string" ? [item.value] : []));
}

const wholeExpression = /^\$\{\{\s*([\s\S]*?)\s*\}\}$/;
const routingForm = /^fromjson\(\s*needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)\s*\)$/i;
const matrixForm = /^matrix\.([A-Za-z0-9_-]+)$/i;

function lintRunsOn(ctx: JobContext, node: Node): void {
  if (isScalar(node) && typeof node.value === "string") {
    const expression = wholeExpression.exec(node.value)?.[1];
    if (expression !== undefined) {
      const routed = routingForm.exec(expression);
      if (routed) return checkRoutingForm(ctx, node, routed[1]!, routed[2]!);
      const matrixKey = matrixForm.exec(expression)?.[1];
      if (matrixKey !== undefined) {
        const values = matrixValues(ctx, matrixKey);
        if (values === undefined) return unverifiable(ctx, node, `matrix.${matrixKey} is not a literal list in strategy.matrix`);
        for (const value of values) lintResolved(ctx, value, `matrix.${matrixKey}`);
        return;
      }
      return unverifiable(ctx, node, `"${node.value}" cannot be checked statically`);
    }
    if (node.value.includes("${{")) return unverifiable(ctx, node, `"${node.value}" cannot be checked statically`);
    return checkLabels(ctx, node, [{ label: node.value, node }]);
  }
  if (isSeq(node)) return lintList(ctx, node);
  if (isMap(node)) return lintGroup(ctx, node);
  ctx.report(node, "invalid-runs-on", "runs-on must be a label, a list of labels or {group, labels}");
}

/** A value taken from the matrix: a label or a label list, no further expressions. */
function lintResolved(ctx: JobContext, node: Node, via: string): void {
  if (isScalar(node) && typeof node.value === "string" && !node.value.includes("${{")) {
    return checkLabels(ctx, node, [{ label: node.value, node, via }]);
  }
  if (isSeq(node) || isMap(node)) {
    const items = isSeq(node) ? literalItems(ctx, node, via) : undefined;
    if (items === undefined) return unverifiable(ctx, node, `${via} value cannot be checked statically`);
    if (items.length === 0) return ctx.report(node, "empty-runs-on", `${via} value is an empty label list`);
    return checkLabels(ctx, node, items);
  }
  unverifiable(ctx, node, `${via} value cannot be checked statically`);
}

function literalItems(ctx: JobContext, seq: Node, via: string): LabelItem[] | undefined {
  if (!isSeq(seq)) return undefined;
  const items: LabelItem[] = [];
  for (const raw of seq.items) {
    const item = deref(ctx.doc, raw as Node);
    if (!isScalar(item) || typeof item.value !== "string" || item.value.includes("${{")) return undefined;
    items.push({ label: item.value, node: item, via });
  }
  return items;
}

function lintList(ctx: JobContext, seq: Node): void {
  if (!isSeq(seq)) return;
  if (seq.items.length === 0) return ctx.report(seq, "empty-runs-on", "runs-on is an empty list");
  // Each item is a set of alternatives: a literal label, or every value of a matrix key.
  const choices: LabelItem[][] = [];
  for (const raw of seq.items) {
    const item = deref(ctx.doc, raw as Node);
    if (!isScalar(item) || typeof item.value !== "string") {
      return ctx.report(item ?? seq, "invalid-runs-on", "runs-on list items must be labels");
    }
    const expression = wholeExpression.exec(item.value)?.[1];
    if (expression === undefined) {
      if (item.value.includes("${{")) return unverifiable(ctx, item, `"${item.value}" cannot be checked statically`);
      choices.push([{ label: item.value, node: item }]);
      continue;
    }
    const key = matrixForm.exec(expression)?.[1];
    const values = key === undefined ? undefined : matrixValues(ctx, key);
    const labels = values?.map((v) => (isScalar(v) && typeof v.value === "string" && !v.value.includes("${{") ? v : undefined));
    if (key === undefined || labels === undefined || labels.some((l) => l === undefined)) {
      return unverifiable(ctx, item, `"${item.value}" cannot be checked statically`);
    }
    choices.push(labels.map((l) => ({ label: String(l!.value), node: l!, via: `matrix.${key}` })));
  }
  const combinations = choices.reduce((n, c) => n * c.length, 1);
  if (combinations > maxCombinations) {
    return unverifiable(ctx, seq, `${combinations} matrix combinations (more than ${maxCombinations})`);
  }
  let sets: LabelItem[][] = [[]];
  for (const alternatives of choices) sets = sets.flatMap((set) => alternatives.map((a) => [...set, a]));
  for (const set of sets) checkLabels(ctx, seq, set);
}

function lintGroup(ctx: JobContext, map: Node): void {
  if (!isMap(map)) return;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (key !== "group" && key !== "labels") {
      return ctx.report((pair.key as Node) ?? map, "invalid-runs-on", `runs-on has an unknown key "${key}" (expected group, labels)`);
    }
  }
  const labels = deref(ctx.doc, map.get("labels", true) as Node | undefined);
  if (labels === undefined || labels === null) {
    return ctx.report(map, "group-without-labels", "runs-on: {group} without labels can take any runner of the group; name the labels");
  }
  lintRunsOn(ctx, labels);
}

function checkRoutingForm(ctx: JobContext, node: Node, job: string, output: string): void {
  if (normalizeLabel(output) !== "runs-on") {
    return unverifiable(ctx, node, `needs.${job}.outputs.${output} is not the routing Action's runs-on output`);
  }
  if (!ctx.jobIds.some((id) => normalizeLabel(id) === normalizeLabel(job))) {
    return unverifiable(ctx, node, `there is no job "${job}" in this workflow`);
  }
  if (!ctx.needs.some((id) => normalizeLabel(id) === normalizeLabel(job))) {
    return unverifiable(ctx, node, `job "${ctx.jobId}" does not list "${job}" in needs`);
  }
}

/** Value nodes of matrix KEY (its list and `include` entries), or undefined if not literal. */
function matrixValues(ctx: JobContext, key: string): Node[] | undefined {
  const matrix = ctx.matrix;
  if (!isMap(matrix)) return undefined;
  const values: Node[] = [];
  const list = deref(ctx.doc, matrix.get(key, true) as Node | undefined);
  if (list !== undefined && list !== null) {
    if (!isSeq(list)) return undefined;
    for (const item of list.items) values.push(deref(ctx.doc, item as Node)!);
  }
  const include = deref(ctx.doc, matrix.get("include", true) as Node | undefined);
  if (include !== undefined && include !== null) {
    if (!isSeq(include)) return undefined;
    for (const entry of include.items) {
      const map = deref(ctx.doc, entry as Node);
      if (!isMap(map)) return undefined;
      const value = deref(ctx.doc, map.get(key, true) as Node | undefined);
      if (value !== undefined && value !== null) values.push(value);
    }
  }
  return values.length === 0 || values.some((v) => v === undefined || v === null) ? undefined : values;
}

function unverifiable(ctx: JobContext, node: Node, why: string): void {
  ctx.report(
    node,
    "unverifiable-expression",
    `${why}; use literal labels, a literal matrix, or \${{ fromJSON(needs.route.outputs.runs-on) }}`,
  );
}

function checkLabels(ctx: JobContext, anchor: Node, items: LabelItem[]): void {
  const labels = items.map((item) => item.label);
  const vocabulary = fleetVocabulary(ctx.policy);
  const via = items.find((item) => item.via !== undefined)?.via;
  const shown = `[${labels.join(", ")}]${via === undefined ? "" : ` (via ${via})`}`;
  const fleetBound = labels.some((label) => hasLabel(vocabulary, label));

  if (!fleetBound) {
    const hosted = ctx.policy.hostedAllowed;
    if (hosted === undefined) return;
    for (const item of items) {
      if (!hasLabel(hosted, item.label)) {
        ctx.report(item.node, "unknown-label", `"${item.label}" is neither a fleet label nor in hostedAllowed`);
      }
    }
    return;
  }

  // self-hosted without the fleet label is the dangerous case: reported on its own.
  const fleetLabels = fleetLabelsOf(ctx.policy.requiredBase);
  const strayed = hasLabel(labels, "self-hosted") && missingLabels(fleetLabels, labels).length === fleetLabels.length;
  if (strayed) {
    ctx.report(
      anchor,
      "missing-fleet-label",
      `runs-on ${shown} names self-hosted without ${fleetLabels.join(" or ")}: the job could run on any self-hosted runner`,
    );
  }
  const missing = missingLabels(ctx.policy.requiredBase, labels).filter((label) => !(strayed && hasLabel(fleetLabels, label)));
  if (missing.length > 0) {
    ctx.report(anchor, "missing-base-label", `runs-on ${shown} lacks required base label(s) ${missing.join(", ")}`);
  }
  for (const item of items) {
    if (!hasLabel(vocabulary, item.label)) {
      ctx.report(item.node, "unknown-label", `"${item.label}" is not an allowed fleet label${item.via ? ` (via ${item.via})` : ""}`);
    }
  }
}
