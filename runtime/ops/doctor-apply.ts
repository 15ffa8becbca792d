/**
 * Carrying out a doctor plan. Just before each removal the VM's record is looked for again: a
 * controller that started a VM of that name since the plan was made wins, and nothing is
 * touched. Every removal is idempotent, so racing a controller's own cleanup is harmless; a
 * leftover the controller removed in the meantime (its teardown finished between the plan's
 * listing and its reading of the records) is reported as gone, not as removed by the doctor.
 */
import { access, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { ControllerConfig } from "../config/controller-config.ts";
import { vmPaths } from "../controller/naming.ts";
import type { GitHub } from "../ports/github.ts";
import type { Hypervisor } from "../ports/hypervisor.ts";
import type { Removal } from "./doctor-plan.ts";

export interface RemovalResult extends Removal {
  removed: boolean;
  /** It was no longer there when its turn came: nothing to do, and not a failure. */
  gone?: boolean;
  error?: string;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

const recordExists = (stateDir: string, name: string): Promise<boolean> => exists(vmPaths(stateDir, name).record);

/** Whether a planned leftover is still there (runners: GitHub's delete is the only check we make). */
async function stillThere(removal: Removal, hypervisor: Hypervisor): Promise<boolean> {
  switch (removal.kind) {
    case "domain":
      return (await hypervisor.listDomains(removal.name)).some((domain) => domain.name === removal.name);
    case "overlay":
      return (await hypervisor.listOverlays(dirname(removal.path!), basename(removal.path!))).length > 0;
    case "secret":
    case "log":
      return exists(removal.path!);
    case "runner":
      return true;
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
    if (!(await stillThere(removal, context.hypervisor))) {
      results.push({ ...removal, removed: false, gone: true });
      continue;
    }
    try {
      switch (removal.kind) {
        case "domain":
          await context.hypervisor.removeDomain(removal.name);
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
