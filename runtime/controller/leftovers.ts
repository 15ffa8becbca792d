/**
 * Leftovers in an inventory: domains, overlays, JIT config files and runner registrations of this
 * host's with no VM record. The pass that sees one plans its removal (plan.ts, the orphan sweep),
 * so a count that stays above zero across passes means the sweep cannot remove it: a leak. The
 * controller exports the counts as a gauge; the stack's alert rules fire when one stays.
 */
import { nameOfFile } from "./naming.ts";
import type { InventoryDocument } from "./status-report.ts";

export type LeftoverKind = "domain" | "overlay" | "secret" | "runner";

export function leftoverCounts(inventory: InventoryDocument): Record<LeftoverKind, number> {
  const records = new Set(inventory.records);
  const domains = new Set(inventory.domains.map((d) => d.name));
  const orphan = (name: string) => !records.has(name) && !domains.has(name);
  return {
    domain: inventory.domains.filter((d) => !records.has(d.name)).length,
    overlay: inventory.overlays.filter((o) => orphan(nameOfFile(o.path))).length,
    secret: inventory.secrets.filter((s) => !records.has(nameOfFile(s))).length,
    runner: (inventory.runners ?? []).filter((r) => orphan(r.name)).length,
  };
}
