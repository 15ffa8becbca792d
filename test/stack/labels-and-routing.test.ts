/** Runner labels and the routing variables workflows read. */
import { describe, expect, it } from "vitest";
import { baseLabels, fleetLabelSet, poolLabels, poolLabelSets } from "../../components/labels.ts";
import { routingVariableNames, routingVariables } from "../../components/routing.ts";
import type { PoolConfig } from "../../runtime/config/controller-config.ts";

const pool = (name: string, labels: string[]): PoolConfig => ({ name, labels, min: 0, max: 1, vcpus: 1, memoryMiB: 512 });

describe("labels", () => {
  it("give every runner self-hosted, linux, its arch and the fleet label, then its pool's", () => {
    expect(baseLabels("arm64", "acme")).toEqual(["self-hosted", "linux", "arm64", "acme"]);
    expect(poolLabels(pool("gpu", ["gpu", "cuda12"]), "x64", "runner-fleet")).toEqual([
      "self-hosted",
      "linux",
      "x64",
      "runner-fleet",
      "gpu",
      "cuda12",
    ]);
  });

  it("do not repeat a label a pool also lists, in any case", () => {
    expect(poolLabels(pool("p", ["Linux", "big", "BIG"]), "x64", "runner-fleet")).toEqual([
      "self-hosted",
      "linux",
      "x64",
      "runner-fleet",
      "big",
    ]);
  });

  it("route runs-on to the labels every pool carries, leaving out the arch when hosts differ", () => {
    const x64 = { arch: "x64" as const, pools: [pool("small", ["small"])] };
    const arm = { arch: "arm64" as const, pools: [pool("small", ["small"]), pool("big", ["big"])] };
    expect(fleetLabelSet([x64], "runner-fleet")).toEqual(["self-hosted", "linux", "x64", "runner-fleet"]);
    expect(fleetLabelSet([x64, arm], "runner-fleet")).toEqual(["self-hosted", "linux", "runner-fleet"]);
    expect(poolLabelSets([x64, arm], "runner-fleet")).toEqual({
      big: ["self-hosted", "linux", "arm64", "runner-fleet", "big"],
      small: ["self-hosted", "linux", "runner-fleet", "small"],
    });
  });
});

describe("routing variables", () => {
  it("carry the routing switch and the label sets as JSON", () => {
    const vars = routingVariables({
      trustedRouting: true,
      labelSet: ["self-hosted", "linux", "x64", "runner-fleet"],
      poolLabelSets: { small: ["self-hosted", "small"] },
    });
    expect(vars).toEqual({
      [routingVariableNames.trustedRouting]: "true",
      [routingVariableNames.runsOn]: '["self-hosted","linux","x64","runner-fleet"]',
      [routingVariableNames.poolLabels]: '{"small":["self-hosted","small"]}',
    });
    expect(routingVariables({ trustedRouting: false, labelSet: [], poolLabelSets: {} })[routingVariableNames.trustedRouting]).toBe(
      "false",
    );
    expect(routingVariableNames.trustedRouting).toBe("CI_SELF_HOSTED_TRUSTED_ROUTING");
  });
});
