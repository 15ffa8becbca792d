/**
 * The GitHub emulator where the lab's guests can reach it: its runner listener on the lab
 * network's gateway (real VMs), or on loopback (the memory driver's in-process guests). The
 * REST and admin APIs stay on loopback, out of every guest's reach. Used by the lab, the bench
 * and the real-VM tests alike.
 */
import { startEmulator, type Emulator, type EmulatorOptions } from "../emulator/server.ts";
import type { NetworkAttachment } from "../ports/hypervisor.ts";
import type { LabConfigInput } from "./lab-config.ts";
import { startLabNetwork, type LabNetwork } from "./lab-network.ts";

/** The memory driver's guests run in-process: no network to attach to, nothing to filter. */
export const memoryDriverNetwork: NetworkAttachment = { kind: "libvirt-network", network: "rf-lab-memory" };

export interface LabGitHub {
  emulator: Emulator;
  network: LabConfigInput["network"];
  /** The libvirt network, with the real-VM driver. */
  labNetwork?: LabNetwork;
  /** What the controller config needs to know of the emulator. */
  emulatorConfig: LabConfigInput["emulator"];
  close(): Promise<void>;
}

/** `host`: where the REST API and, with the memory driver, the runner listener listen (default loopback). */
export async function startLabGitHub(options: { driver: "libvirt" | "memory"; uri?: string; emulator?: EmulatorOptions; host?: string }): Promise<LabGitHub> {
  const labNetwork = options.driver === "libvirt" ? await startLabNetwork({ uri: options.uri }) : undefined;
  try {
    const runnerHost = labNetwork?.gateway ?? options.host ?? "127.0.0.1";
    const emulator = await startEmulator({ ...options.emulator, ...(options.host ? { host: options.host } : {}), runnerListener: { host: runnerHost } });
    await labNetwork?.allowGatewayPorts([emulator.runnerListener!.port]).catch(async (error: unknown) => {
      await emulator.close();
      throw error;
    });
    const app = emulator.app;
    return {
      emulator,
      network: labNetwork?.attachment ?? memoryDriverNetwork,
      ...(labNetwork ? { labNetwork } : {}),
      emulatorConfig: { url: emulator.url, appId: app.id, installationId: app.installationId("acme"), privateKey: app.privateKey! },
      async close() {
        await emulator.close();
        await labNetwork?.close();
      },
    };
  } catch (error) {
    await labNetwork?.close();
    throw error;
  }
}
