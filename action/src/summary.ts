/** The one line the Action writes to the job summary (Markdown, rendered by GitHub). */
import type { RouteDecision } from "../../runtime/routing/decide.ts";

/** Escapes what Markdown or HTML would interpret, so payload text shows as text. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function summaryLine(decision: RouteDecision): string {
  const target = typeof decision.runsOn === "string" ? decision.runsOn : decision.runsOn.join(", ");
  return (
    `runner-fleet routing: **${decision.route}** (${escapeMarkdown(target)}), ` +
    `reason \`${decision.reason.code}\`: ${escapeMarkdown(decision.reason.message)}\n`
  );
}
