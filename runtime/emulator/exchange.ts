/**
 * One HTTP exchange on the emulator's GitHub REST surface, as handed to `onExchange`.
 * Tests and the bench feed these to the OpenAPI contract checker (openapi-check/), which is how
 * every request and response the emulator handles is checked against GitHub's description.
 */
export interface HttpExchange {
  method: string;
  /** Path without the `/api/v3` prefix and without the query string, e.g. `/orgs/acme/actions/runners`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON; the raw text when it was not JSON; undefined when there was no body. */
  requestBody: unknown;
  status: number;
  responseHeaders: Record<string, string>;
  /** Parsed JSON; undefined for an empty body. */
  responseBody: unknown;
}

export type ExchangeListener = (exchange: HttpExchange) => void;
