import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { parseFlags } from "../flags.ts";
import { ConfigError } from "../../config/config-error.ts";
import { readControllerConfig } from "../../config/read-controller-config.ts";
import { startController } from "../../controller/daemon.ts";
import { createLogger } from "../../log/logger.ts";

export const command: Command = {
  summary: "run the host controller (warm pools, one VM per job)",
  usage: [
    "usage: fleet controller --config FILE",
    "",
    "Runs the controller until SIGTERM, then drains: no new jobs, idle VMs removed, busy VMs",
    "given timing.drainGraceSeconds to finish. A second SIGTERM stops at once.",
    "",
    "  --config FILE   controller config (JSON, mode 0600; see docs/controller.md)",
  ].join("\n"),
  async run(argv, io) {
    const values = parseFlags(argv, { config: { type: "string" } });
    if (!values.config) throw new UsageError("--config FILE is required");
    let config;
    try {
      config = await readControllerConfig(values.config);
    } catch (error) {
      if (error instanceof ConfigError) {
        io.stderr.write(`fleet controller: invalid config ${error.message}\n`);
        return ExitCode.usage;
      }
      throw error;
    }
    const logger = createLogger({ name: "controller" }).child({ host: config.host.name });
    const controller = await startController({ config, logger });
    io.stdout.write(`controller ${config.host.name} listening on ${controller.url}\n`);
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await controller.shutdown();
    return ExitCode.ok;
  },
};
