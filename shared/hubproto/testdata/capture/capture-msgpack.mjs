// capture-msgpack.mjs records the MessagePack hub-protocol frames that the
// real @microsoft/signalr JavaScript client sends with
// @microsoft/signalr-protocol-msgpack, and checks that it accepts the frames
// Herald's Go encoders write. It is a manual tool: `go test` never runs it.
//
// Usage (from a directory where
// `npm install @microsoft/signalr@10.0.11 @microsoft/signalr-protocol-msgpack@10.0.11` ran):
//
//	node capture-msgpack.mjs <testdata-dir>
//
// The server frames are read from <testdata-dir>/msgpack-server-*.bin, which
// `go test -run TestGoldenMsgpackServerFrames -update` writes, together with
// the JSON sidecars msgpack-server-invocation.json and
// msgpack-server-completion-result.json: the client must receive exactly the
// values JSON.parse makes of them. Every record the client sends is saved as
// <testdata-dir>/msgpack-client-<name>.bin (VarInt prefix included; the
// handshake as its JSON text with 0x1E). The script exits non-zero unless the
// client visibly accepted every server frame.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const signalR = require("@microsoft/signalr");
const { MessagePackHubProtocol } = require("@microsoft/signalr-protocol-msgpack");
const { decode } = require("@msgpack/msgpack");
const WebSocketServer = require("ws").Server; // ws 7.x

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node capture-msgpack.mjs <testdata-dir>");
  process.exit(2);
}

const RS = 0x1e;
const server = (name) => fs.readFileSync(path.join(dir, `msgpack-server-${name}.bin`));
const sidecar = (name) => JSON.parse(fs.readFileSync(path.join(dir, `msgpack-server-${name}.json`), "utf8"));

const saved = new Set();
function save(name, data) {
  if (saved.has(name)) return;
  saved.add(name);
  fs.writeFileSync(path.join(dir, name + ".bin"), data);
  console.log("saved", name, data.toString("hex"));
}

// splitRecords splits a binary frame into VarInt-framed records.
function splitRecords(buf) {
  const out = [];
  for (let off = 0; off < buf.length;) {
    let size = 0, n = 0, b;
    do {
      b = buf[off + n];
      size |= (b & 0x7f) << (7 * n);
      n++;
    } while (b & 0x80);
    out.push({ record: buf.subarray(off, off + n + size), body: buf.subarray(off + n, off + n + size) });
    off += n + size;
  }
  return out;
}

function clientName(msg) {
  switch (msg[0]) {
    case 1:
      if (msg.length > 5) return "msgpack-client-invocation-streamids";
      if (msg[3] === "echo") return "msgpack-client-invocation";
      if (msg[3] === "fire") return "msgpack-client-invocation-nonblocking";
      if (msg[3] === "when") return "msgpack-client-invocation-timestamp";
      return "msgpack-client-invocation-" + msg[3];
    case 2: return "msgpack-client-stream-item";
    case 3: return ["", "msgpack-client-completion-error", "msgpack-client-completion-void", "msgpack-client-completion-result"][msg[3]];
    case 4: return "msgpack-client-stream-invocation";
    case 5: return "msgpack-client-cancel-invocation";
    case 6: return "msgpack-client-ping";
    case 7: return "msgpack-client-close";
    case 8: return "msgpack-client-ack";
    case 9: return "msgpack-client-sequence";
  }
  return "msgpack-client-unknown-" + msg[0];
}

let stateful = false; // negotiate answer for the next connection
const httpServer = http.createServer((req, res) => {
  const u = new URL(req.url, "http://x");
  if (req.method === "POST" && u.pathname === "/hub/negotiate") {
    const body = {
      negotiateVersion: 1,
      connectionId: "c" + Date.now(),
      connectionToken: "t" + Date.now(),
      availableTransports: [{ transport: "WebSockets", transferFormats: ["Text", "Binary"] }],
    };
    if (stateful && u.searchParams.get("useStatefulReconnect") === "true") body.useStatefulReconnect = true;
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
    return;
  }
  res.writeHead(404);
  res.end();
});

const wss = new WebSocketServer({ noServer: true });
const conns = [];
httpServer.on("upgrade", (req, socket, head) => {
  wss.handleUpgrade(req, socket, head, (ws) => {
    const conn = { ws, stateful, handshaken: false, records: [] };
    conns.push(conn);
    // ws 7.x delivers text frames as strings and binary frames as Buffers.
    ws.on("message", (data) => onFrame(conn, Buffer.from(data), typeof data !== "string"));
  });
});

function send(conn, name) {
  conn.ws.send(server(name), { binary: true });
}

// The invocation ID a server frame answers: element 2 of its message array.
const frameID = (name) => decode(splitRecords(server(name))[0].body)[2];

function onFrame(conn, data, isBinary) {
  if (!conn.handshaken) {
    const end = data.indexOf(RS);
    const text = data.subarray(0, end + 1);
    const req = JSON.parse(text.subarray(0, end).toString());
    assert.equal(req.protocol, "messagepack");
    save(conn.stateful ? "msgpack-client-handshake-v2" : "msgpack-client-handshake", text);
    conn.handshaken = true;
    conn.ws.send("{}\x1e"); // the handshake response is JSON text for every protocol
    data = data.subarray(end + 1);
    if (data.length === 0) return;
  } else {
    conn.binary = (conn.binary ?? true) && isBinary;
  }
  for (const { record, body } of splitRecords(data)) {
    const msg = decode(body);
    const name = clientName(msg);
    conn.records.push({ name, msg });
    save(name, record);
    react(conn, msg);
  }
}

function react(conn, msg) {
  const answer = (name) => {
    assert.equal(frameID(name), msg[2], `${name} answers invocation ${msg[2]}`);
    send(conn, name);
  };
  switch (msg[0]) {
    case 1:
      if (msg[3] === "echo") answer("completion-result");
      else if (msg[3] === "explode") answer("completion-error");
      else if (msg[3] === "nothing") answer("completion-void");
      else if (msg[3] === "upload") conn.uploadId = msg[2];
      break;
    case 3:
      if (conn.uploadId && msg[3] === 2) {
        assert.equal(frameID("completion-upload"), conn.uploadId);
        send(conn, "completion-upload");
        conn.uploadId = undefined;
      }
      if (conn.onCompletion) conn.onCompletion(msg);
      break;
    case 4:
      assert.equal(frameID("stream-item"), msg[2]);
      send(conn, "stream-item");
      send(conn, "stream-item-2");
      break;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function must(cond, what) {
  if (!cond) throw new Error("check failed: " + what);
  console.log("ok:", what);
}

async function main() {
  await new Promise((r) => httpServer.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${httpServer.address().port}/hub`;
  const logger = { log: (lvl, m) => { if (lvl >= signalR.LogLevel.Warning || /Unknown message type/.test(m)) console.log("client log:", m); } };
  const build = (b) => b
    .withUrl(base, { transport: signalR.HttpTransportType.WebSockets })
    .withHubProtocol(new MessagePackHubProtocol())
    .configureLogging(logger)
    .build();

  // Connection 1: the normal traffic.
  const hc = build(new signalR.HubConnectionBuilder());
  const notified = [];
  hc.on("notify", (...args) => { notified.push(args); });
  hc.on("ask", () => 42);
  hc.on("fail", () => { throw new Error("boom"); });
  await hc.start();
  const c1 = conns[0];
  await sleep(50);

  const r = await hc.invoke("echo", 1, "a", { x: [1, 2] }, 1.5, true, null, new Uint8Array([1, 2]));
  assert.deepStrictEqual(r, sidecar("completion-result"));
  must(true, "client accepted Completion with a converted result (ints, floats, -1e21, 1e-7)");
  await hc.send("fire");
  await hc.send("when", new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), new Date(0), new Date(-1000));

  await assert.rejects(hc.invoke("explode"), (e) => e.message === "boom");
  must(true, "client accepted Completion with error");
  must((await hc.invoke("nothing")) === undefined, "client accepted void Completion");

  // Streaming from the server, cancelled by the client after two items.
  const items = [];
  await new Promise((resolve, reject) => {
    const sub = hc.stream("counter", 10).subscribe({
      next: (v) => { items.push(v); if (items.length === 2) { sub.dispose(); resolve(); } },
      error: reject,
      complete: () => {},
    });
  });
  assert.deepStrictEqual(items, ["first", { second: 2 }]);
  must(true, "client accepted StreamItems");

  // Upload stream: Invocation with streamIds, then StreamItem and Completion from the client.
  const subject = new signalR.Subject();
  const uploaded = hc.invoke("upload", subject);
  await sleep(20);
  subject.next({ chunk: 1 });
  subject.complete();
  must((await uploaded) === "uploaded", "client accepted Completion for upload");

  // Server -> client traffic.
  send(c1, "ping");
  send(c1, "invocation");
  send(c1, "unknown");
  const completions = [];
  c1.onCompletion = (m) => completions.push(m);
  send(c1, "invocation-with-id");
  send(c1, "invocation-with-id-error");
  await sleep(200);
  must(notified.length === 1, "client accepted the five-element non-blocking Invocation");
  assert.deepStrictEqual(notified[0], sidecar("invocation"));
  must(Object.is(notified[0][1].negzero, -0) && notified[0][1].inf === Infinity, "converted arguments equal JSON.parse of the REST JSON (-0, Infinity included)");
  must(completions.some((m) => m[2] === "s1" && m[3] === 3 && m[4] === 42), "client answered client-result Invocation");
  must(completions.some((m) => m[2] === "s2" && m[3] === 1 && /boom/.test(m[4])), "client answered failing Invocation with error");
  must(hc.state === signalR.HubConnectionState.Connected, "client still connected after unknown message type");

  await hc.stop();
  await sleep(50);
  must(c1.records.some((f) => f.name === "msgpack-client-close"), "client sent Close on stop");
  must(c1.binary === true, "every client frame after the handshake was a binary frame");

  // Connection 2: the server closes with an error and allowReconnect.
  const hc2 = build(new signalR.HubConnectionBuilder());
  const closed2 = new Promise((resolve) => hc2.onclose((e) => resolve(e)));
  await hc2.start();
  await sleep(50);
  send(conns[1], "close");
  const err = await closed2;
  must(err && /Server returned an error on close: Service reloading/.test(err.message), "client accepted Close with error");

  // Connection 3: the server closes without an error.
  const hc3 = build(new signalR.HubConnectionBuilder());
  const closed3 = new Promise((resolve) => hc3.onclose((e) => resolve(e)));
  await hc3.start();
  await sleep(50);
  send(conns[2], "close-plain");
  must((await closed3) === undefined, "client accepted Close without error");

  // Connection 4: stateful reconnect negotiated, so the handshake asks for
  // version 2 and the client acknowledges trackable messages.
  stateful = true;
  const hc4 = build(new signalR.HubConnectionBuilder().withStatefulReconnect());
  await hc4.start();
  const r4 = await hc4.invoke("echo", "v2");
  assert.deepStrictEqual(r4, sidecar("completion-result"));
  await sleep(1300); // the client sends Ack about one second after a trackable message
  await hc4.stop();
  await sleep(50);
  must(conns[3].records.some((f) => f.name === "msgpack-client-ack"), "stateful client sent Ack");

  wss.close();
  httpServer.close();
  console.log("done");
}

main().catch((e) => { console.error(e); process.exit(1); });
