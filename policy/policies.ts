/** Every policy of the runner-fleet pack, in the order `pulumi preview --policy-pack` reports them. */
import type { Policies } from "@pulumi/policy";
import { controllerNotExposedWithoutSecret } from "./controller-exposure.ts";
import { noPatWithApp, patIsBreakGlass } from "./github-credentials.ts";
import { controllerConfigDelivery, sshHostKeyPinned } from "./host-access.ts";
import { runnerImagePinned } from "./image-pinned.ts";
import { poolCeilingsFitHost, poolsFitHost } from "./pool-budget.ts";
import { routingVariablePerRepository, routingVariableValue } from "./routing-variable.ts";
import { runnerGroupVisibility } from "./runner-group-visibility.ts";
import { webhookHasSecret, webhookOnlyJobEvents, webhookOverHttps, webhookTargetsDeclaredHosts } from "./webhook-config.ts";

export const policies: Policies = [
  runnerGroupVisibility,
  routingVariableValue,
  routingVariablePerRepository,
  webhookHasSecret,
  webhookOverHttps,
  webhookOnlyJobEvents,
  webhookTargetsDeclaredHosts,
  controllerNotExposedWithoutSecret,
  poolsFitHost,
  poolCeilingsFitHost,
  runnerImagePinned,
  noPatWithApp,
  patIsBreakGlass,
  controllerConfigDelivery,
  sshHostKeyPinned,
];
