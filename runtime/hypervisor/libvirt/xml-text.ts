/** Escaping for the XML we hand to libvirt and unescaping for the XML it hands back. */

const escapes: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
  // Literal tabs and newlines inside attribute values are normalized to spaces by every XML
  // parser (libvirt's included); character references survive the round trip.
  "\t": "&#9;",
  "\n": "&#10;",
  "\r": "&#13;",
};

/** Escapes text for use in element content or in a quoted attribute value. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => escapes[c] ?? c);
}

const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** Replaces the five predefined entities and numeric character references. */
export function unescapeXml(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
    if (ref.startsWith("#x")) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith("#")) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return named[ref] ?? whole;
  });
}
