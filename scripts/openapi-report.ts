// `npm run --silent openapi-report`: adds up the OpenAPI check's records of the last test run of
// each vitest project (.cache/openapi-check, written by test/support/openapi-check-setup.ts) and
// prints requests, responses, operations and the undocumented statuses answered, with why.
// Exits 1 when there are no records or any violation.
import { formatReport, readRecordFiles, sumRecords } from "../runtime/emulator/openapi-check/report.ts";

const records = readRecordFiles(process.argv[2] ?? ".cache/openapi-check");
if (records.length === 0) {
  console.error("no OpenAPI check records: run the tests first (npm test)");
  process.exit(1);
}
const total = sumRecords(records);
console.log(formatReport(total));
process.exit(total.violations > 0 ? 1 : 0);
