/**
 * Installation-token cache for `@octokit/auth-app` that honours each token's own `expires_at`.
 *
 * auth-app's default cache keeps a token for a fixed 59 minutes, which assumes GitHub's one-hour
 * lifetime. This one drops a token `marginMs` before the expiry GitHub reported, so the adapter
 * mints a fresh one in-process before the old one stops working, whatever the lifetime.
 * auth-app stores `token|createdAt|expiresAt|...` strings; if that ever changes, entries fall
 * back to the 59-minute rule instead of living forever.
 */
import type { Clock } from "../ports/clock.ts";

const fallbackLifetimeMs = 59 * 60_000;

export interface TokenCache {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
}

export function createInstallationTokenCache(options: { clock: Clock; marginMs: number; maxEntries?: number }): TokenCache {
  const entries = new Map<string, { value: string; dropAt: number }>();
  const maxEntries = options.maxEntries ?? 1000;
  return {
    get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (options.clock.now() >= entry.dropAt) {
        entries.delete(key);
        return undefined;
      }
      return entry.value;
    },
    set(key, value) {
      const now = options.clock.now();
      const expiresAt = Date.parse(value.split("|")[2] ?? "");
      const dropAt = Number.isFinite(expiresAt) ? expiresAt - options.marginMs : now + fallbackLifetimeMs;
      entries.delete(key);
      entries.set(key, { value, dropAt });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    },
  };
}
