/**
 * Wakes the reconcile loop when a serial log changes, so a runner coming online or starting a
 * job is noticed within milliseconds rather than at the next tick. A hint only: the loop polls
 * the same files anyway, and a platform without fs.watch loses nothing but latency.
 */
import { watch, type FSWatcher } from "node:fs";

export function watchConsoles(dir: string, onChange: () => void, debounceMs = 20): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, { persistent: false }, () => {
      timer ??= setTimeout(() => {
        timer = undefined;
        onChange();
      }, debounceMs);
    });
    watcher.on("error", () => watcher?.close());
  } catch {
    return () => undefined;
  }
  return () => {
    if (timer) clearTimeout(timer);
    watcher?.close();
  };
}
