/**
 * Base URLs for the links inside representations: `api` is where the REST API answers (with the
 * `/api/v3` prefix when the client used it), `html` the web root.
 */
export interface Urls {
  api: string;
  html: string;
}

export function nodeId(kind: string, id: number): string {
  return Buffer.from(`0${kind.length}:${kind}${id}`).toString("base64");
}
