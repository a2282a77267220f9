// graphql-transport-ws against a running server, as the graphql-ws client and the ws package speak
// it: a subscription round trip with graphql-ws's client, and the protocol's close codes for bad
// frames (4400). Exits 1 on any mismatch.
//   node ws-close.mjs ws://127.0.0.1:8080/graphql
import WebSocket from "ws";
import { createClient } from "graphql-ws";

const url = process.argv[2] ?? "ws://127.0.0.1:8080/graphql";
let failures = 0;

function closeCodeAfter(frames) {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, "graphql-transport-ws");
    const timer = setTimeout(() => { socket.terminate(); resolve("timeout"); }, 15000);
    socket.on("open", () => frames.forEach((frame) => socket.send(frame)));
    socket.on("close", (code) => { clearTimeout(timer); resolve(code); });
    socket.on("error", () => {});
  });
}

const cases = [
  ["a frame that is not JSON", ['{"type":"connection_init"}', "not json"], 4400],
  ["a message of an unknown type", ['{"type":"connection_init"}', '{"type":"bogus"}'], 4400],
  ["a subscribe before connection_ack", ['{"type":"subscribe","id":"1","payload":{"query":"{__typename}"}}'], 4401],
  ["two connection_init", ['{"type":"connection_init"}', '{"type":"connection_init"}'], 4429],
  // a token of no live session: 4401, which graphql-ws takes as final (the app signs in again)
  ["a sessionToken of no session", ['{"type":"connection_init","payload":{"sessionToken":"x.y"}}'], 4401],
];
for (const [name, frames, expected] of cases) {
  const code = await closeCodeAfter(frames);
  const ok = code === expected;
  if (!ok) failures++;
  console.log(`${ok ? "ok   " : "error"} ${name}: closed with ${code}, expected ${expected}`);
}

// a complete operation through graphql-ws's own client
const client = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
try {
  const result = await new Promise((resolve, reject) => {
    let value;
    client.subscribe(
      { query: "{ __typename }" },
      { next: (data) => (value = data), error: reject, complete: () => resolve(value) },
    );
  });
  const ok = result?.data?.__typename === "Query";
  if (!ok) failures++;
  console.log(`${ok ? "ok   " : "error"} a query through graphql-ws's client: ${JSON.stringify(result)}`);
} catch (e) {
  failures++;
  console.log(`error a query through graphql-ws's client: ${JSON.stringify(e)}`);
} finally {
  await client.dispose();
}
console.log(`graphql-transport-ws check: ${failures} errors`);
process.exit(failures > 0 ? 1 : 0);
