import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../runtime/config/config-error.ts";
import { labelSchema as configLabelSchema } from "../../../runtime/config/controller-config.ts";
import { labelSchema } from "../../../runtime/labels/label-set.ts";
import { fleetLabelsOf, parseLabelPolicy } from "../../../runtime/labels/policy.ts";

function problems(value: unknown): string[] {
  try {
    parseLabelPolicy(value, "labels.yml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("label policy", () => {
  it("parses a policy and finds the fleet's own labels", () => {
    const policy = parseLabelPolicy({ requiredBase: ["self-hosted", "Linux", "X64", "acme", "runner-fleet"] });
    expect(policy.allowed).toEqual([]);
    expect(policy.hostedAllowed).toBeUndefined();
    expect(fleetLabelsOf(policy.requiredBase)).toEqual(["acme", "runner-fleet"]);
  });

  it("accepts a mixed-architecture fleet's base without an arch label", () => {
    const policy = parseLabelPolicy({ requiredBase: ["self-hosted", "linux", "runner-fleet"], allowed: ["x64", "arm64"] });
    expect(fleetLabelsOf(policy.requiredBase)).toEqual(["runner-fleet"]);
  });

  it.each([
    [{ requiredBase: ["linux", "x64", "runner-fleet", "acme"] }, 'requiredBase: must include "self-hosted"'],
    [{ requiredBase: ["self-hosted", "x64", "runner-fleet", "acme"] }, 'requiredBase: must include "linux"'],
    [
      { requiredBase: ["self-hosted", "linux", "x64", "ARM64", "acme"] },
      "requiredBase: must include at most one architecture label (x64, arm64, arm, x86), found x64, ARM64",
    ],
    [{ requiredBase: ["self-hosted", "linux", "x64", "X64"] }, "requiredBase: must not repeat a label"],
    [{ requiredBase: ["self-hosted", "linux", "x64", "Linux"] }, "requiredBase: must include the fleet's own label"],
    [{ requiredBase: ["self-hosted", "linux", "x64"] }, "requiredBase: must include the fleet's own label"],
    [{ requiredBase: ["self-hosted", "linux"] }, "requiredBase: Too small"],
    [
      { requiredBase: ["self-hosted", "linux", "x64", "runner-fleet"], hostedAllowed: ["ubuntu-latest", "Linux"] },
      'hostedAllowed[1]: "Linux" is a fleet label',
    ],
    [{ requiredBase: ["self-hosted", "linux", "x64", "runner-fleet"], allowed: ["gpu large"] }, "allowed[0]: labels cannot contain spaces or commas"],
    [{ requiredBase: ["self-hosted", "linux", "x64", "runner-fleet"], extra: 1 }, 'Unrecognized key: "extra"'],
  ])("names the problem in %j", (value, message) => {
    expect(problems(value).join("\n")).toContain(message);
  });
});

describe("label rule", () => {
  it.each(["self-hosted", "X64", "a".repeat(100), "", "a".repeat(101), "two words", "a,b", "tab\tlabel", "ümlaut"])(
    "agrees with the controller config's label rule on %j",
    (label) => {
      expect(labelSchema.safeParse(label).success).toBe(configLabelSchema.safeParse(label).success);
    },
  );
});
