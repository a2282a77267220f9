// graphql-http's GraphQL-over-HTTP audit against a running server: fails on any error-level result.
//   node audit.mjs http://127.0.0.1:8080/graphql
import { serverAudits } from "graphql-http";

const url = process.argv[2] ?? "http://127.0.0.1:8080/graphql";
let errors = 0;
let warnings = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status === "error") errors++;
  if (result.status === "warn") warnings++;
  const line = `${result.status.padEnd(5)} ${audit.id} ${audit.name}`;
  console.log(result.status === "ok" ? line : `${line}\n      ${result.reason}`);
}
console.log(`graphql-http audit: ${errors} errors, ${warnings} warnings`);
process.exit(errors > 0 ? 1 : 0);
