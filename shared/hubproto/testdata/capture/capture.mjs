// capture.mjs records the hub-protocol frames that the real @microsoft/signalr
// JavaScript client sends, and checks that it accepts the frames a Herald
// server sends. It is a manual tool: `go test` never runs it.
//
// Usage (from a directory where `npm install @microsoft/signalr@10.0.11` ran):
//
//	node capture.mjs <output-dir>
//
// It starts a throwaway HTTP + WebSocket server on 127.0.0.1 (random port),
// answers the negotiate POST, and drives three HubConnections through a fixed
// script. Every WebSocket frame the client sends is saved as
// <output-dir>/client-<name>.bin (raw bytes, including the 0x1E separator),
// and every frame the server sends as <output-dir>/server-<name>.bin. The
// script exits non-zero unless the client visibly accepted the server frames.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const signalR = require("@microsoft/signalr");
const WebSocketServer = require("ws").Server; // ws 7.x

const outDir = process.argv[2];
if (!outDir) {
  console.error("usage: node capture.mjs <output-dir>");
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const RS = "\x1e";
const saved = new Map();
function save(name, data) {
  if (saved.has(name)) return;
  saved.set(name, true);
  fs.writeFileSync(path.join(outDir, name + ".bin"), data);
  console.log("saved", name, JSON.stringify(data.toString()));
}

// Name a client frame after what it carries.
function clientName(text, conn) {
  const msg = JSON.parse(text.slice(0, -1));
  if ("protocol" in msg) return conn.stateful ? "client-handshake-v2" : "client-handshake";
  switch (msg.type) {
    case 1:
      if (msg.streamIds) return "client-invocation-streamids";
      return msg.invocationId === undefined ? "client-invocation-nonblocking" : "client-invocation";
    case 2: return "client-stream-item";
    case 3:
      if ("error" in msg) return "client-completion-error";
      return "result" in msg ? "client-completion-result" : "client-completion-void";
    case 4: return "client-stream-invocation";
    case 5: return "client-cancel-invocation";
    case 6: return "client-ping";
    case 7: return "client-close";
    case 8: return "client-ack";
    case 9: return "client-sequence";
  }
  return "client-unknown-" + msg.type;
}

// Server-side frames, formatted exactly as the Go encoders write them.
const frames = {
  handshake: "{}" + RS,
  ping: '{"type":6}' + RS,
  notify: '{"type":1,"target":"notify","arguments":["hi",{"n":1}]}' + RS,
  askResult: '{"type":1,"invocationId":"s1","target":"ask","arguments":[]}' + RS,
  askError: '{"type":1,"invocationId":"s2","target":"fail","arguments":[]}' + RS,
  unknown: '{"type":99,"whatever":true}' + RS,
  close: '{"type":7,"error":"Service reloading, try reconnecting","allowReconnect":true}' + RS,
};
const completion = (id, result) =>
  `{"type":3,"invocationId":"${id}","result":${JSON.stringify(result)}}` + RS;
const completionError = (id, err) =>
  `{"type":3,"invocationId":"${id}","error":${JSON.stringify(err)}}` + RS;
const streamItem = (id, item) =>
  `{"type":2,"invocationId":"${id}","item":${JSON.stringify(item)}}` + RS;

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
    const conn = { ws, stateful, handshaken: false, frames: [] };
    conns.push(conn);
    ws.on("message", (data, isBinary) => onFrame(conn, Buffer.from(data), isBinary));
  });
});

function send(conn, name, text) {
  conn.ws.send(text);
  save("server-" + name, Buffer.from(text));
  return text;
}

function onFrame(conn, data, isBinary) {
  const text = data.toString("utf8");
  // A frame may carry several records; save each record on its own.
  const records = text.split(RS).filter((r) => r !== "").map((r) => r + RS);
  for (const rec of records) {
    const name = clientName(rec, conn);
    conn.frames.push({ name, rec, isBinary });
    if (records.length === 1) save(name, data);
    else save(name, Buffer.from(rec));
    react(conn, JSON.parse(rec.slice(0, -1)));
  }
}

function react(conn, msg) {
  if ("protocol" in msg) {
    send(conn, "handshake", frames.handshake);
    return;
  }
  switch (msg.type) {
    case 1:
      if (msg.target === "echo" && msg.invocationId) {
        send(conn, "completion-result", completion(msg.invocationId, msg.arguments));
      } else if (msg.target === "upload" && msg.invocationId) {
        conn.uploadId = msg.invocationId;
      }
      break;
    case 3:
      if (conn.uploadId && !("result" in msg) && !("error" in msg)) {
        send(conn, "completion-upload", completion(conn.uploadId, "uploaded"));
        conn.uploadId = undefined;
      }
      if (conn.onCompletion) conn.onCompletion(msg);
      break;
    case 4:
      send(conn, "stream-item", streamItem(msg.invocationId, "first"));
      send(conn, "stream-item", streamItem(msg.invocationId, { second: 2 }));
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

  // Connection 1: the normal JSON traffic.
  const hc = new signalR.HubConnectionBuilder()
    .withUrl(base, { transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(logger)
    .build();
  const notified = [];
  hc.on("notify", (...args) => { notified.push(args); });
  hc.on("ask", () => 42);
  hc.on("fail", () => { throw new Error("boom"); });
  await hc.start();
  const c1 = conns[0];
  await sleep(50);

  const r = await hc.invoke("echo", 1, "a", { x: [1, 2] });
  must(JSON.stringify(r) === '[1,"a",{"x":[1,2]}]', "client accepted Completion with result");
  await hc.send("fire", null);

  // Streaming from the server, cancelled by the client after two items.
  const items = [];
  await new Promise((resolve) => {
    const sub = hc.stream("counter", 10).subscribe({
      next: (v) => { items.push(v); if (items.length === 2) { sub.dispose(); resolve(); } },
      error: (e) => { throw e; },
      complete: () => {},
    });
  });
  must(items.length === 2 && items[0] === "first" && items[1].second === 2, "client accepted StreamItems");

  // Upload stream: Invocation with streamIds, then StreamItem and Completion from the client.
  const subject = new signalR.Subject();
  const uploaded = hc.invoke("upload", subject);
  await sleep(20);
  subject.next({ chunk: 1 });
  subject.complete();
  must((await uploaded) === "uploaded", "client accepted Completion for upload");

  // Server -> client traffic. (Several frames are only checked for acceptance.)
  send(c1, "ping", frames.ping);
  send(c1, "invocation", frames.notify);
  send(c1, "unknown", frames.unknown);
  const completions = [];
  c1.onCompletion = (m) => completions.push(m);
  send(c1, "invocation-with-id", frames.askResult);
  send(c1, "invocation-with-id-error", frames.askError);
  await sleep(200);
  must(notified.length === 1 && notified[0][0] === "hi" && notified[0][1].n === 1, "client accepted non-blocking Invocation");
  must(completions.some((m) => m.invocationId === "s1" && m.result === 42), "client answered client-result Invocation");
  must(completions.some((m) => m.invocationId === "s2" && /boom/.test(m.error)), "client answered failing Invocation with error");
  must(hc.state === signalR.HubConnectionState.Connected, "client still connected after unknown message type");

  await hc.stop();
  await sleep(50);
  must(c1.frames.some((f) => f.name === "client-close"), "client sent Close on stop");
  must(c1.frames.every((f) => !f.isBinary), "every client frame was a text frame");

  // Connection 2: the server closes with an error and allowReconnect.
  const hc2 = new signalR.HubConnectionBuilder()
    .withUrl(base, { transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(logger)
    .build();
  const closed = new Promise((resolve) => hc2.onclose((e) => resolve(e)));
  await hc2.start();
  await sleep(50);
  send(conns[1], "close", frames.close);
  const err = await closed;
  must(err && /Server returned an error on close: Service reloading/.test(err.message), "client accepted Close with error");

  // Connection 3: stateful reconnect negotiated, so the handshake asks for version 2
  // and the client acknowledges trackable messages.
  stateful = true;
  const hc3 = new signalR.HubConnectionBuilder()
    .withUrl(base, { transport: signalR.HttpTransportType.WebSockets })
    .withStatefulReconnect()
    .configureLogging(logger)
    .build();
  await hc3.start();
  const r3 = await hc3.invoke("echo", "v2");
  must(JSON.stringify(r3) === '["v2"]', "stateful client accepted Completion");
  await sleep(1300); // the client sends Ack about one second after a trackable message
  await hc3.stop();
  await sleep(50);

  wss.close();
  httpServer.close();
  console.log("done");
}

main().catch((e) => { console.error(e); process.exit(1); });
