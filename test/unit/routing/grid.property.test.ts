/**
 * The routing decision against the rules, checked by an oracle written plainly here
 * (independently of decide.ts): every combination of event × head repository × sender ×
 * association × variable value, then arbitrary and mutated payloads (fail closed).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideRoute, type RouteDecision } from "../../../runtime/routing/decide.ts";
import { githubAssociations, parseRoutingPolicy } from "../../../runtime/routing/policy.ts";
import { reasonCodes } from "../../../runtime/routing/reasons.ts";
import { get, botLoginSenderOf, botTypeSenderOf, deletedHeadOf, examples, forkOf, withField, type Payload } from "./payloads.ts";

const basePr = examples("pull_request")[0]!;

const events = [
  "pull_request",
  "pull_request_target",
  "push",
  "merge_group",
  "workflow_dispatch",
  "schedule",
  "issue_comment",
  "workflow_run",
] as const;
const heads = ["same", "fork", "deleted"] as const;
const senders = ["human", "bot-type", "bot-login"] as const;
const variables = [undefined, "true", "false", "TRUE", "True", "", " true", "true ", "1", "yes"] as const;

type Head = (typeof heads)[number];
type Sender = (typeof senders)[number];

interface Cell {
  event: string;
  head: Head;
  sender: Sender;
  association: string;
  variable: string | undefined;
}

function payloadFor(cell: Omit<Cell, "event" | "variable">): Payload {
  let payload = withField(basePr, "pull_request.author_association", cell.association);
  if (cell.head === "fork") payload = forkOf(payload);
  if (cell.head === "deleted") payload = deletedHeadOf(payload);
  if (cell.sender === "bot-type") payload = botTypeSenderOf(payload);
  if (cell.sender === "bot-login") payload = botLoginSenderOf(payload);
  return payload;
}

/** The five conditions of the issue, on the grid's own terms. */
function gridOracle(cell: Cell): boolean {
  return (
    cell.event === "pull_request" &&
    cell.head === "same" &&
    cell.sender === "human" &&
    ["OWNER", "MEMBER", "COLLABORATOR"].includes(cell.association) &&
    cell.variable === "true"
  );
}

/**
 * The same five conditions read straight off an arbitrary payload. Anything that throws (a
 * missing object on the way) means "not shown to be trusted".
 */
function payloadOracle(event: string, payload: unknown, variable: unknown): boolean {
  try {
    // any: the oracle reads untyped JSON on purpose, and a throw means "not trusted".
    const p = payload as any;
    if (event !== "pull_request" || variable !== "true") return false;
    if (p.pull_request.head.repo === null) return false;
    if (p.pull_request.head.repo.id !== p.pull_request.base.repo.id) return false;
    if (p.sender.type === "Bot" || p.sender.login.endsWith("[bot]")) return false;
    return ["OWNER", "MEMBER", "COLLABORATOR"].includes(p.pull_request.author_association);
  } catch {
    return false;
  }
}

function expectWellFormed(decision: RouteDecision): void {
  expect(reasonCodes).toContain(decision.reason.code);
  expect(decision.reason.message.length).toBeGreaterThan(0);
  if (decision.route === "self-hosted") {
    expect(decision.reason.code.startsWith("trusted-")).toBe(true);
    expect(decision.runsOn).toEqual(["self-hosted", "linux", "x64", "runner-fleet"]);
  } else {
    expect(decision.route).toBe("hosted");
    expect(decision.reason.code.startsWith("trusted-")).toBe(false);
    expect(decision.runsOn).toBe("ubuntu-latest");
  }
}

describe("the combination grid", () => {
  it("routes exactly the trusted pattern to self-hosted, over every combination", () => {
    const payloads = new Map<string, Payload>();
    let cells = 0;
    const selfHosted: Cell[] = [];
    for (const event of events)
      for (const head of heads)
        for (const sender of senders)
          for (const association of githubAssociations)
            for (const variable of variables) {
              const cell: Cell = { event, head, sender, association, variable };
              const key = `${head}/${sender}/${association}`;
              if (!payloads.has(key)) payloads.set(key, payloadFor(cell));
              const decision = decideRoute(event, payloads.get(key), variable);
              expectWellFormed(decision);
              expect(decision.route === "self-hosted", JSON.stringify(cell)).toBe(gridOracle(cell));
              if (decision.route === "self-hosted") selfHosted.push(cell);
              cells++;
            }
    expect(cells).toBe(events.length * heads.length * senders.length * githubAssociations.length * variables.length);
    // One pattern: pull_request, same repository, human, variable "true", one of three associations.
    expect(selfHosted.map((c) => c.association).sort()).toEqual(["COLLABORATOR", "MEMBER", "OWNER"]);
  });

  it("holds for random event names and variable values as well", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...events), fc.string()),
        fc.constantFrom(...heads),
        fc.constantFrom(...senders),
        fc.oneof(fc.constantFrom(...githubAssociations), fc.string()),
        fc.oneof(fc.constantFrom(...variables), fc.string(), fc.constant("true")),
        (event, head, sender, association, variable) => {
          const cell: Cell = { event, head, sender, association, variable };
          const decision = decideRoute(event, payloadFor(cell), variable);
          expectWellFormed(decision);
          return (decision.route === "self-hosted") === gridOracle(cell);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("fail closed", () => {
  it("never routes an arbitrary JSON-like payload to self-hosted unless the oracle trusts it", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...events),
        fc.anything({ withNullPrototype: true, withObjectString: true }),
        fc.oneof(fc.constant("true"), fc.constant(undefined), fc.string()),
        (event, payload, variable) => {
          const decision = decideRoute(event, payload, variable);
          expectWellFormed(decision);
          return decision.route === "hosted" || payloadOracle(event, payload, variable);
        },
      ),
      { numRuns: 3000 },
    );
  });

  // Fields the decision reads, and values a mutation may put there.
  const paths = [
    "pull_request",
    "pull_request.head",
    "pull_request.head.repo",
    "pull_request.head.repo.id",
    "pull_request.head.repo.full_name",
    "pull_request.base",
    "pull_request.base.repo",
    "pull_request.base.repo.id",
    "pull_request.base.repo.full_name",
    "pull_request.author_association",
    "pull_request.user.type",
    "repository",
    "repository.id",
    "sender",
    "sender.login",
    "sender.type",
  ];
  const plausible = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    { arbitrary: fc.constantFrom("OWNER", "MEMBER", "NONE", "CONTRIBUTOR", "Bot", "User", "Organization"), weight: 2 },
    { arbitrary: fc.constantFrom("x[bot]", "Codertocat", "mallory/Hello-World", "Codertocat/Hello-World"), weight: 2 },
    { arbitrary: fc.constantFrom(186853002, 186853003, 0, -1, 1.5, "186853002"), weight: 3 },
    fc.anything(),
  );

  it("never routes a mutated real pull request to self-hosted unless the oracle trusts it", () => {
    let routedSelfHosted = 0;
    let oracleTrusted = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...paths), plausible), { minLength: 0, maxLength: 3 }),
        fc.constantFrom(...basePrs()),
        (mutations, original) => {
          let payload: Payload = original;
          for (const [path, value] of mutations) payload = withField(payload, path, value);
          const decision = decideRoute("pull_request", payload, "true");
          expectWellFormed(decision);
          const trusted = payloadOracle("pull_request", payload, "true");
          if (trusted) oracleTrusted++;
          if (decision.route === "self-hosted") routedSelfHosted++;
          return decision.route === "hosted" || trusted;
        },
      ),
      { numRuns: 3000 },
    );
    // Not vacuous: some mutations keep the payload trusted, and those do route self-hosted.
    expect(oracleTrusted).toBeGreaterThan(50);
    expect(routedSelfHosted).toBeGreaterThan(50);
  });

  it("sends every other head repository id to hosted as a fork", () => {
    fc.assert(
      fc.property(fc.constantFrom(...basePrs()), fc.integer({ min: 1 }), (original, id) => {
        fc.pre(id !== get(original, "pull_request.base.repo.id"));
        const decision = decideRoute("pull_request", withField(original, "pull_request.head.repo.id", id), "true");
        return decision.route === "hosted" && decision.reason.code === "fork";
      }),
      { numRuns: 500 },
    );
  });

  it("keeps the opt-ins out of pull request trust", () => {
    const policy = parseRoutingPolicy({ mergeGroup: true, pushToDefaultBranch: true });
    fc.assert(
      fc.property(fc.anything(), fc.constantFrom("pull_request", "pull_request_target"), (payload, event) => {
        const decision = decideRoute(event, payload, "true", policy);
        return decision.route === "hosted" || payloadOracle(event, payload, "true");
      }),
      { numRuns: 1000 },
    );
  });
});

function basePrs(): Payload[] {
  return examples("pull_request").slice(0, 5);
}
