import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../runtime/config/config-error.ts";
import { defaultRoutingPolicy, parseRoutingPolicy } from "../../../runtime/routing/policy.ts";

function problems(value: unknown): string[] {
  try {
    parseRoutingPolicy(value, "policy.yml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("routing policy", () => {
  it("defaults to pull requests only, with the fleet's labels and ubuntu-latest", () => {
    expect(defaultRoutingPolicy).toEqual({
      selfHostedRunsOn: ["self-hosted", "linux", "x64", "runner-fleet"],
      hostedRunsOn: "ubuntu-latest",
      trustedAssociations: ["OWNER", "MEMBER", "COLLABORATOR"],
      mergeGroup: false,
      pushToDefaultBranch: false,
    });
    expect(parseRoutingPolicy(undefined)).toEqual(defaultRoutingPolicy);
  });

  it("accepts explicit opt-ins and a narrower association list", () => {
    expect(parseRoutingPolicy({ mergeGroup: true, pushToDefaultBranch: true, trustedAssociations: ["OWNER"] })).toMatchObject({
      mergeGroup: true,
      pushToDefaultBranch: true,
      trustedAssociations: ["OWNER"],
    });
  });

  it.each(["CONTRIBUTOR", "NONE", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "MANNEQUIN", "owner"])(
    "refuses to widen trust to %s",
    (association) => {
      expect(problems({ trustedAssociations: ["OWNER", association] })).toEqual([
        "trustedAssociations[1]: only OWNER, MEMBER and COLLABORATOR can be trusted (others lack write access)",
      ]);
    },
  );

  it.each([
    [{ trustedAssociations: [] }, "trustedAssociations: Too small: expected array to have >=1 items"],
    [{ mergeGroup: "yes" }, "mergeGroup: Invalid input: expected boolean, received string"],
    [{ selfHostedRunsOn: ["linux", "runner-fleet"] }, 'selfHostedRunsOn: must include "self-hosted"'],
    [{ hostedRunsOn: "self-hosted" }, "hostedRunsOn: must not use self-hosted labels (self-hosted)"],
    [{ hostedRunsOn: ["ubuntu-latest", "Runner-Fleet"] }, "hostedRunsOn: must not use self-hosted labels (Runner-Fleet)"],
    [{ hostedRunsOn: "ubuntu latest" }, "hostedRunsOn: labels cannot contain spaces or commas"],
    [{ pushToMain: true }, 'Unrecognized key: "pushToMain"'],
  ])("names the problem in %j", (value, message) => {
    expect(problems(value).join("\n")).toContain(message);
  });
});
