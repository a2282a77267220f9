// Automatic persisted queries with the real @apollo/client, configured as the app guide says
// (useGETForHashedQueries): the hash alone by GET, PersistedQueryNotFound, the document and the
// hash by POST, then the hash alone by GET again. Every request the link sends is recorded and
// checked, with what the server answered. Exits 1 on any difference.
//   node apq.mjs http://127.0.0.1:8080/graphql
import { createHash } from "node:crypto";
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const uri = process.argv[2] ?? "http://127.0.0.1:8080/graphql";

const sent = [];
async function recordingFetch(url, init) {
  const response = await fetch(url, init);
  sent.push({
    method: init?.method ?? "GET",
    url: new URL(url),
    body: init?.body ? JSON.parse(init.body) : null,
    status: response.status,
    cacheControl: response.headers.get("cache-control"),
    answer: await response.clone().json(),
  });
  return response;
}

const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: true,
  }).concat(new HttpLink({ uri, fetch: recordingFetch })),
});

// a document no instance has seen: a fresh alias
const alias = `apq${Date.now()}${Math.random().toString(36).slice(2)}`;
const query = gql`query apqConformance { ${alias}: __typename }`;

const failures = [];
function check(condition, what) {
  if (!condition) failures.push(what);
}

const first = await client.query({ query, fetchPolicy: "no-cache" });
check(first.data?.[alias] === "Query", `first answer: ${JSON.stringify(first)}`);
const second = await client.query({ query, fetchPolicy: "no-cache" });
check(second.data?.[alias] === "Query", `second answer: ${JSON.stringify(second)}`);

const [miss, register, hit] = sent;
check(sent.length === 3, `3 requests, not ${sent.length}`);
check(miss?.method === "GET" && !miss.url.searchParams.has("query"), "the hash alone by GET first");
const extensions = JSON.parse(miss?.url.searchParams.get("extensions") ?? "{}");
check(extensions.persistedQuery?.version === 1, "extensions.persistedQuery.version 1");
check(extensions.clientLibrary?.name === "@apollo/client", "extensions.clientLibrary");
check(
  miss?.status === 200 && miss.answer.errors?.[0]?.message === "PersistedQueryNotFound",
  `PersistedQueryNotFound with 200: ${miss?.status} ${JSON.stringify(miss?.answer)}`,
);
check(miss?.cacheControl === "private, no-store", `the miss is never cached: ${miss?.cacheControl}`);
check(
  register?.method === "POST" && typeof register.body?.query === "string" &&
    register.body.extensions?.persistedQuery?.sha256Hash === extensions.persistedQuery?.sha256Hash,
  "then the document and the hash by POST",
);
check(register?.status === 200 && !register.answer.errors, `registered: ${JSON.stringify(register?.answer)}`);
check(hit?.method === "GET" && !hit.url.searchParams.has("query"), "then the hash alone by GET");
check(hit?.status === 200 && !hit.answer.errors, `a hit: ${JSON.stringify(hit?.answer)}`);

if (failures.length > 0) {
  console.error("apq: @apollo/client's persisted query link and the server disagree:");
  for (const failure of failures) console.error(`  - ${failure}`);
  process.exit(1);
}
console.log("apq: @apollo/client's persisted query link: miss by GET, register by POST, hit by GET");
