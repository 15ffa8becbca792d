// runner-fleet: read and validate the stack config, build the Fleet, export what dashboards need.
import { fileURLToPath } from "node:url";
import { buildControllerBundle } from "./components/controller-bundle.ts";
import { Fleet } from "./components/fleet.ts";
import { readStackConfig } from "./components/read-stack-config.ts";

const config = readStackConfig();
const fleet = new Fleet("runner-fleet", {
  config,
  bundle: buildControllerBundle(fileURLToPath(new URL(".", import.meta.url))),
});

export const hosts = fleet.hosts;
export const hostFacts = fleet.hostFacts;
export const runnerGroupId = fleet.runnerGroupId;
export const routingVariables = fleet.routingVariables;
export const labelSet = fleet.labelSet;
export const poolLabelSets = fleet.poolLabelSets;
export const webhookUrls = fleet.webhookUrls;
export const dashboard = fleet.dashboard;
export const alertRules = fleet.alertRules;
export const adminTokens = fleet.adminTokens;
