// The app guide's resume pattern, with graphql-ws's own client: the subscription's variables are
// one object whose `after` the app moves to each message's cursor as it arrives. graphql-ws sends
// that same object again when it reconnects, so a client that was away gets exactly what it
// missed. Without moving `after`, the resubscription starts where the first one did: messages it
// already had come again. Exits 1 unless every message arrives exactly once, in order.
//   node resume.mjs http://127.0.0.1:8080/graphql
import WebSocket from "ws";
import { createClient } from "graphql-ws";

const http = process.argv[2] ?? "http://127.0.0.1:8080/graphql";
const ws = http.replace(/^http/, "ws");

async function graphql(query, variables, token) {
  const response = await fetch(http, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const result = await response.json();
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

async function account(name) {
  const email = `${name}-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const password = "correct horse battery";
  const user = await graphql(
    "mutation($e:String!,$p:String!,$n:String!){signUp(email:$e,password:$p,displayName:$n){id}}",
    { e: email, p: password, n: name },
  );
  const { signInForToken } = await graphql(
    "mutation($e:String!,$p:String!){signInForToken(email:$e,password:$p){token}}",
    { e: email, p: password },
  );
  return { id: user.signUp.id, token: signInForToken.token };
}

const send = (token, conversationId, body) =>
  graphql(
    "mutation($c:ID!,$b:String!){sendMessage(conversationId:$c,body:$b){seq}}",
    { c: conversationId, b: body },
    token,
  );

const ann = await account("Ann");
const ben = await account("Ben");
const { startConversation } = await graphql(
  "mutation($p:[ID!]!){startConversation(participantIds:$p){id}}",
  { p: [ben.id] },
  ann.token,
);
const conversationId = startConversation.id;

// the pattern: one payload object, `after` moved as messages arrive
const payload = {
  query:
    "subscription($conversationId:ID!,$after:String){messageAdded(conversationId:$conversationId,after:$after){seq cursor body}}",
  variables: { conversationId, after: null },
};
let socket;
const connected = [];
const client = createClient({
  url: ws,
  webSocketImpl: WebSocket,
  connectionParams: { sessionToken: ben.token },
  retryAttempts: 5,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 200)),
  shouldRetry: () => true,
  on: {
    opened: (s) => (socket = s),
    connected: () => connected.push(Date.now()),
  },
});
const received = [];
let waiting;
client.subscribe(payload, {
  next: ({ data, errors }) => {
    if (errors) throw new Error(JSON.stringify(errors));
    const message = data.messageAdded;
    received.push(message.seq);
    payload.variables.after = message.cursor;
    waiting?.();
  },
  error: (e) => console.error("error", e),
  complete: () => {},
});
const until = (condition, what) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 15000);
    waiting = () => condition() && (clearTimeout(timer), resolve());
    const poll = setInterval(() => condition() && (clearInterval(poll), clearTimeout(timer), resolve()), 50);
  });

await until(() => connected.length === 1, "the first connection");
await new Promise((resolve) => setTimeout(resolve, 500)); // the subscription is registered
for (let i = 1; i <= 3; i++) await send(ann.token, conversationId, `before ${i}`);
await until(() => received.length === 3, "the first 3 messages");

// the network drops: the socket dies without a close handshake; messages are sent meanwhile
socket.terminate();
for (let i = 1; i <= 3; i++) await send(ann.token, conversationId, `while away ${i}`);
await until(() => connected.length === 2, "the reconnection");
for (let i = 1; i <= 2; i++) await send(ann.token, conversationId, `after ${i}`);
await until(() => received.length >= 8, "8 messages");
await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more should come
await client.dispose();

const expected = [1, 2, 3, 4, 5, 6, 7, 8];
const ok = JSON.stringify(received) === JSON.stringify(expected);
console.log(`${ok ? "ok   " : "error"} resume after a dropped socket: received seq ${JSON.stringify(received)}`);
process.exit(ok ? 0 : 1);
