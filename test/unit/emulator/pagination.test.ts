import { describe, expect, it } from "vitest";
import { paginate } from "../../../runtime/emulator/pagination.ts";

const items = Array.from({ length: 25 }, (_, i) => i + 1);
const at = (query: string) => new URL(`http://127.0.0.1:1/api/v3/repos/acme/app/actions/variables${query}`);

describe("paginate", () => {
  it("uses the default page size and links absolute next/last/first URLs, keeping the prefix", () => {
    const page = paginate(items, { url: at(""), defaultPerPage: 10, maxPerPage: 30 });
    expect(page.items).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(page.total).toBe(25);
    expect(page.link).toBe(
      '<http://127.0.0.1:1/api/v3/repos/acme/app/actions/variables?per_page=10&page=2>; rel="next", ' +
        '<http://127.0.0.1:1/api/v3/repos/acme/app/actions/variables?per_page=10&page=3>; rel="last", ' +
        '<http://127.0.0.1:1/api/v3/repos/acme/app/actions/variables?per_page=10&page=1>; rel="first"',
    );
  });
  it("caps per_page, serves later pages and omits Link when one page holds everything", () => {
    expect(paginate(items, { url: at("?per_page=100"), defaultPerPage: 10, maxPerPage: 30 }).link).toBeUndefined();
    const last = paginate(items, { url: at("?per_page=10&page=3"), defaultPerPage: 10, maxPerPage: 30 });
    expect(last.items).toEqual([21, 22, 23, 24, 25]);
    expect(last.link).toContain('rel="prev"');
    expect(last.link).not.toContain('rel="next"');
  });
  it("rejects a page that is not a positive integer", () => {
    expect(() => paginate(items, { url: at("?page=0"), defaultPerPage: 10, maxPerPage: 30 })).toThrow(/page/);
  });
});
