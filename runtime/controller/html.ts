/**
 * HTML built with a tagged template that escapes every interpolated value, the one place the
 * status page escapes anything: a value is text unless it is already `Html` made by this tag.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type Fragment = Html | string | number | boolean | null | undefined | readonly Fragment[];

const entities: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

function fragmentText(value: Fragment): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(fragmentText).join("");
  // null, undefined and false render nothing, so `cond && html\`...\`` reads naturally.
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Fragment[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += fragmentText(value) + strings[i + 1]!;
  });
  return new Html(out);
}

/** Markup that is not user data (a fixed stylesheet or script); never pass data through it. */
export function trusted(text: string): Html {
  return new Html(text);
}
