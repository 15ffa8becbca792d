/** `fleet status`'s dependency-cache table (docs/caches.md): sizes on each host and recent hit rates. */
import type { StatusDocument } from "../controller/status-report.ts";
import { renderTable } from "./table.ts";

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

export function renderCacheTable(statuses: readonly StatusDocument[]): string[] {
  const rows = statuses.flatMap((s) =>
    (s.caches ?? []).map((c) => [
      s.host,
      `${c.pool}/${c.name}`,
      c.path,
      c.current === null ? "-" : String(c.current),
      `${mib(c.currentBytes)} of ${c.sizeMiB} MiB`,
      `${c.generations} (${mib(c.totalBytes)})`,
      c.hitRate === null ? "-" : `${Math.round(c.hitRate * 100)}% (${c.hits}/${c.jobs})`,
      `${c.published}/${c.discarded}`,
    ]),
  );
  if (rows.length === 0) return [];
  return ["caches (hit: the job's VM got a published generation; over the recent jobs)\n" + renderTable(["HOST", "CACHE", "PATH", "GEN", "CURRENT", "KEPT", "HITS", "PUBLISHED/DISCARDED"], rows)];
}
