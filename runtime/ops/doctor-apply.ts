/**
 * Carrying out a doctor plan. Just before each removal the VM's record is looked for again: a
 * controller that started a VM of that name since the plan was made wins, and nothing is
 * touched. Every removal is idempotent, so racing a controller's own cleanup is harmless.
 */
import { access, rm } from "node:fs/promises";
import type { ControllerConfig } from "../config/controller-config.ts";
import { vmPaths } from "../controller/naming.ts";
import type { GitHub } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import type { Removal } from "./doctor-plan.ts";

export interface RemovalResult extends Removal {
  removed: boolean;
  error?: string;
}

async function recordExists(stateDir: string, name: string): Promise<boolean> {
  try {
    await access(vmPaths(stateDir, name).record);
    return true;
  } catch {
    return false;
  }
}

export async function applyDoctorPlan(
  removals: readonly Removal[],
  context: { config: ControllerConfig; hypervisor: Hypervisor; github: Pick<GitHub, "deleteRunner"> },
): Promise<RemovalResult[]> {
  const results: RemovalResult[] = [];
  for (const removal of removals) {
    if (await recordExists(context.config.paths.state, removal.name)) {
      results.push({ ...removal, removed: false, error: "a VM record appeared since the plan was made: left to the controller" });
      continue;
    }
    try {
      switch (removal.kind) {
        case "domain":
          await context.hypervisor.destroyDomain(removal.name);
          await context.hypervisor.undefineDomain(removal.name);
          break;
        case "overlay":
          await context.hypervisor.removeOverlay(removal.path!);
          break;
        case "secret":
        case "log":
          await rm(removal.path!, { force: true });
          break;
        case "runner":
          await context.github.deleteRunner(removal.runnerId!);
          break;
      }
      results.push({ ...removal, removed: true });
    } catch (error) {
      results.push({ ...removal, removed: false, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return results;
}
