/**
 * How the queued-jobs poll grows with the number of queued runs: a fresh emulator with R runs
 * queued, one poll through the controller's own GitHub adapter, its calls counted at the emulator.
 */
import { parseControllerConfig, type ControllerConfig } from "../runtime/config/controller-config.ts";
import { startEmulator } from "../runtime/emulator/server.ts";
import { gitHubFor } from "../runtime/github/from-config.ts";
import { labLabels } from "../runtime/lab/lab-config.ts";
import { ApiCallLog } from "./api-calls.ts";

export async function pollGrowth(base: ControllerConfig, runCounts: readonly number[]): Promise<{ runs: number; calls: number }[]> {
  const rows: { runs: number; calls: number }[] = [];
  for (const runs of runCounts) {
    const log = new ApiCallLog();
    const emulator = await startEmulator({ onExchange: log.listener });
    try {
      for (let i = 0; i < runs; i++) emulator.enqueueJob({ repository: "acme/app", labels: labLabels, steps: [{ name: "a", run: "true" }] });
      const config = parseControllerConfig({
        ...base,
        github: { ...base.github, apiUrl: emulator.url, auth: { kind: "app", appId: emulator.app.id, installationId: emulator.app.installationId("acme"), privateKey: emulator.app.privateKey! } },
      });
      const github = gitHubFor(config);
      await github.listRunners("warm-up-the-token-");
      log.start();
      await github.listJobs("acme/app", "queued");
      const calls = [...log.stop().calls.values()].reduce((a, b) => a + b, 0);
      rows.push({ runs, calls });
    } finally {
      await emulator.close();
    }
  }
  return rows;
}
