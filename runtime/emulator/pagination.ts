/**
 * GitHub's page-based pagination: `per_page` (capped) and `page` (1-based), with a `Link`
 * header carrying absolute `next`/`last`/`first`/`prev` URLs that clients (Octokit's
 * `paginate`) follow as given.
 */
import { invalidRequest } from "./http-error.ts";

export interface PageRequest {
  /** Absolute URL of the request, including any `/api/v3` prefix and the query string. */
  url: URL;
  defaultPerPage: number;
  maxPerPage: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  /** Value for the `Link` header, absent when everything fits on one page. */
  link?: string;
}

function positiveInteger(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw invalidRequest(`"${name}" must be a positive integer.`);
  return value;
}

export function paginate<T>(all: readonly T[], request: PageRequest): Page<T> {
  const perPage = Math.min(positiveInteger(request.url, "per_page", request.defaultPerPage), request.maxPerPage);
  const page = positiveInteger(request.url, "page", 1);
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  if (lastPage === 1) return { items, total: all.length };
  const linkTo = (target: number, rel: string): string => {
    const url = new URL(request.url);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(target));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(linkTo(page - 1, "prev"));
  if (page < lastPage) links.push(linkTo(page + 1, "next"));
  links.push(linkTo(lastPage, "last"), linkTo(1, "first"));
  return { items, total: all.length, link: links.join(", ") };
}
