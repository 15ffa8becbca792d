import type { Command } from "../command.ts";
import { ExitCode, UsageError } from "../exit-codes.ts";
import { parseFlags } from "../flags.ts";
import { createProgress, wantsProgress } from "../progress.ts";
import { writeJson } from "../../ops/command-input.ts";
import { runLab } from "../../lab/lab.ts";
import { runMultiHostLab } from "../../lab/multi-host.ts";
import { renderHostJobTable } from "../../lab/multi-host-report.ts";
import { renderJobTable, renderSummary } from "../../lab/lab-report.ts";
import { MissingPrerequisite, defaultImageDir } from "../../lab/prerequisites.ts";
import { labImageDir } from "../../lab/arch-lab.ts";
import { cacheSummaryLine, runCacheScenario, type CacheScenarioOptions } from "../../lab/cache-scenario.ts";

export const command: Command = {
  summary: "run the whole system on this machine: emulator, controller, N jobs, report",
  usage: [
    "usage: fleet lab [--jobs N] [--hosts N] [--driver libvirt|memory] [--arch x64|arm64] [--image-dir DIR] [--scenario caches] [--keep] [--json]",
    "",
    "Starts the GitHub emulator and a controller, waits for the warm pool, queues N jobs at",
    "once, prints each job's phase timings, p50/p95 queue wait and a leak check.",
    "",
    "  --jobs N         jobs to run (default 5; with --hosts 12, or 6 with real VMs)",
    "  --hosts N        N hosts (3 or more), each in its own network namespace, coordinated through",
    "                   a private PostgreSQL; one is SIGKILLed mid-burst, one cut off for longer",
    "                   than a lease (docs/coordination.md). Default 1: the single-host lab.",
    "  --driver D       libvirt: real QEMU VMs (default, needs root); memory: simulated VMs",
    "  --arch A         guest arch: x64 (default) or arm64 (emulated here; guest/build-image.sh --arch arm64)",
    `  --image-dir DIR  guest image built by guest/build-image.sh (default ${defaultImageDir}, arm64: ${labImageDir("arm64", defaultImageDir)})`,
    "  --scenario caches  a push to main fills a dependency cache, then a pull request reads it;",
    "                   the last line compares the dependency step without and with it (docs/caches.md)",
    "  --keep           keep the lab's state directory (controller log, status) afterwards",
    "  --json           only the result, as JSON (no progress lines)",
    "",
    "On a terminal a status line shows what the lab waits for; piped, there is none.",
    "",
    "exit: 0 all jobs succeeded and nothing leaked; 3 otherwise; 2 usage or a missing prerequisite",
  ].join("\n"),
  async run(argv, io) {
    const values = parseFlags(argv, {
      jobs: { type: "string" },
      hosts: { type: "string", default: "1" },
      driver: { type: "string", default: "libvirt" },
      arch: { type: "string", default: "x64" },
      "image-dir": { type: "string" },
      keep: { type: "boolean", default: false },
      scenario: { type: "string" },
      json: { type: "boolean", default: false },
    });
    const hosts = Number(values.hosts);
    if (!Number.isInteger(hosts) || hosts < 1 || hosts === 2 || hosts > 30) throw new UsageError(`--hosts must be 1, or a whole number from 3 to 30, got ${values.hosts}`);
    // Several hosts of real VMs share this machine's two cores: a smaller burst.
    const jobs = Number(values.jobs ?? (hosts === 1 ? "5" : values.driver === "memory" ? "12" : "6"));
    if (!Number.isInteger(jobs) || jobs < 1 || jobs > 100) throw new UsageError(`--jobs must be a whole number from 1 to 100, got ${values.jobs}`);
    if (values.driver !== "libvirt" && values.driver !== "memory") throw new UsageError(`--driver must be libvirt or memory, got ${values.driver}`);
    if (values.arch !== "x64" && values.arch !== "arm64") throw new UsageError(`--arch must be x64 or arm64, got ${values.arch}`);
    if (values.arch === "arm64" && (values.driver !== "libvirt" || hosts > 1)) {
      throw new UsageError("--arch arm64 runs the single-host lab on real VMs: --driver libvirt, no --hosts (in-memory VMs run on this machine's own CPU)");
    }
    if (values.scenario !== undefined && (values.scenario !== "caches" || hosts > 1 || values.arch !== "x64" || values.driver !== "libvirt")) {
      // In-memory guests run their steps on this machine: the scenario would fill this machine's own cache path.
      throw new UsageError(`--scenario caches runs with --driver libvirt on one x64 host; got --scenario ${values.scenario} --driver ${values.driver} --arch ${values.arch} --hosts ${hosts}`);
    }
    const progress = createProgress(io.stderr, { enabled: wantsProgress(io.stderr, io.env, values.json) });
    const say = (line: string) => (values.json ? undefined : progress.interject(() => io.stdout.write(line + "\n")));
    const vms = `${values.driver === "libvirt" ? "real QEMU/TCG VMs through libvirt" : "in-memory VMs"}${values.arch === "arm64" ? ", arm64 guests (aarch64, emulated)" : ""}`;
    const what = values.scenario === "caches" ? "dependency caches: a push to main, then a pull request" : `${jobs} job${jobs === 1 ? "" : "s"}${hosts > 1 ? ` on ${hosts} hosts` : ""}`;
    say(`runner-fleet lab: ${what}, ${vms}`);
    const driver: "libvirt" | "memory" = values.driver;
    const common = {
      jobs,
      driver,
      ...(values["image-dir"] ? { imageDir: values["image-dir"] } : {}),
      keep: values.keep,
      say,
      progress: (text: string) => progress.update(text),
      signal: io.signal,
    };
    const kept = values.keep ? "   (state kept in " : undefined;
    try {
      if (values.scenario === "caches") return await cacheScenario({ ...common, jobs: undefined }, values.json, progress, io);
      const result = await (hosts > 1 ? runMultiHostLab({ ...common, hosts }) : runLab({ ...common, arch: values.arch })).finally(() => progress.stop());
      if (values.json) {
        writeJson(io.stdout, result);
        return result.succeeded ? ExitCode.ok : ExitCode.degraded;
      }
      say("");
      if ("line" in result) {
        say(renderHostJobTable(result.rows));
        say("");
        say(`total       ${(result.totalMs / 1000).toFixed(1)} s${kept ? `${kept}${result.stateDir})` : ""}`);
        say(result.line);
      } else {
        say(renderJobTable(result.rows));
        say("");
        say(renderSummary(result.rows, result.leaks));
        say(`total                         ${(result.totalMs / 1000).toFixed(1)} s${kept ? `${kept}${result.stateDir})` : ""}`);
        if (result.archLine) say(result.archLine);
      }
      return result.succeeded ? ExitCode.ok : ExitCode.degraded;
    } catch (error) {
      if (error instanceof MissingPrerequisite) {
        io.stderr.write(`fleet lab: ${error.message}\n`);
        return ExitCode.usage;
      }
      throw error;
    }
  },
};

async function cacheScenario(options: CacheScenarioOptions, json: boolean, progress: ReturnType<typeof createProgress>, io: Parameters<Command["run"]>[1]): Promise<number> {
  const result = await runCacheScenario(options).finally(() => progress.stop());
  if (json) {
    writeJson(io.stdout, result);
    return result.succeeded ? ExitCode.ok : ExitCode.degraded;
  }
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  for (const c of result.caches) {
    options.say(`cache ${c.name}   generation ${c.current}, ${mib(c.currentBytes)} MiB (${c.generations} kept, ${mib(c.totalBytes)} MiB); hits ${c.hits}/${c.jobs}; published ${c.published}, discarded ${c.discarded}`);
  }
  for (const problem of result.problems) options.say(`problem     ${problem}`);
  options.say(cacheSummaryLine(result));
  return result.succeeded ? ExitCode.ok : ExitCode.degraded;
}
