/**
 * Lifecycle events from one long-running `virsh event --loop --event lifecycle` child, shared by
 * all subscribers: started with the first, restarted (with bounded backoff) whenever it dies
 * while anyone listens (libvirtd restarts end it), stopped with the last unsubscribe.
 */
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { HypervisorEvent } from "../../ports/hypervisor.ts";
import { parseLifecycleEvent } from "./virsh-output.ts";

export interface LifecycleEventStreamOptions {
  /** Starts the event child; its stdout carries `virsh event` lines. */
  spawnChild: () => ChildProcess;
  /** Called when the child exits unexpectedly (with the restart delay), for logging. */
  onRestart?: (info: { exitCode: number | null; delayMs: number }) => void;
  minRestartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** A child that ran at least this long before dying restarts after the minimum delay again. */
  stableAfterMs?: number;
}

export class LifecycleEventStream {
  private readonly listeners = new Set<(event: HypervisorEvent) => void>();
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelay: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly stableAfter: number;

  constructor(private readonly options: LifecycleEventStreamOptions) {
    this.minDelay = options.minRestartDelayMs ?? 250;
    this.maxDelay = options.maxRestartDelayMs ?? 30_000;
    this.stableAfter = options.stableAfterMs ?? 60_000;
    this.restartDelay = this.minDelay;
  }

  subscribe(listener: (event: HypervisorEvent) => void): () => void {
    // A wrapper per subscription, so subscribing the same function twice needs two unsubscribes.
    const entry = (event: HypervisorEvent) => listener(event);
    this.listeners.add(entry);
    if (this.listeners.size === 1) this.start();
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.listeners.delete(entry);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Whether an event child is running (for tests). */
  get running(): boolean {
    return this.child !== undefined;
  }

  private start(): void {
    const child = this.options.spawnChild();
    this.child = child;
    const startedAt = Date.now();
    if (child.stdout) {
      const lines = createInterface({ input: child.stdout });
      lines.on("line", (line) => {
        const event = parseLifecycleEvent(line);
        if (!event) return;
        for (const listener of [...this.listeners]) {
          try {
            listener(event);
          } catch {
            // A throwing listener must not stop the others or the stream.
          }
        }
      });
    }
    child.stderr?.resume();
    child.on("error", () => undefined);
    child.on("close", (exitCode) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (this.listeners.size === 0) return;
      // A child that ran for a while earned a fresh, short delay; one that dies at once backs off.
      if (Date.now() - startedAt >= this.stableAfter) this.restartDelay = this.minDelay;
      const delayMs = this.restartDelay;
      this.restartDelay = Math.min(this.restartDelay * 2, this.maxDelay);
      this.options.onRestart?.({ exitCode, delayMs });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.listeners.size > 0 && this.child === undefined) this.start();
      }, delayMs);
    });
  }

  private stop(): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    this.restartDelay = this.minDelay;
    child?.kill("SIGTERM");
  }
}
