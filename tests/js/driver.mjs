// driver.mjs runs the official @microsoft/signalr client on behalf of Go tests.
//
// Protocol: one JSON object per line. Commands arrive on stdin, events leave on stdout.
// Nothing else is ever written to stdout (console output is sent to stderr).
//
// Commands:
//   {"cmd":"connect","name":"c1","url":"http://127.0.0.1:PORT/api?hub=chat",
//    "headers":{...},"transport":"WebSockets"|"ServerSentEvents"|"LongPolling"|null,
//    "protocol":"json"|"messagepack","reconnect":false,"methods":["recv"],
//    "accessToken":"optional JWT","skipNegotiation":false,"keepAliveMs":15000,
//    "statefulReconnect":false}
//   (keepAliveMs sets keepAliveIntervalInMilliseconds: how often the client pings;
//   statefulReconnect calls withStatefulReconnect(), clients from 8.0 on)
//   {"cmd":"invoke","name":"c1","id":"r1","target":"echo","args":[...]}
//   {"cmd":"send","name":"c1","id":"s1","target":"echo","args":[...]}
//   {"cmd":"stream","name":"c1","id":"st1","target":"count","args":[...]}
//                         connection.stream(...).subscribe(...): item / streamEnd events
//   {"cmd":"cancel","name":"c1","id":"st1"}   dispose the subscription of stream st1
//   {"cmd":"upload","name":"c1","id":"u1","target":"up","items":[...],"blocking":true}
//                         invoke (blocking) or send target with a Subject argument, then
//                         push items and complete it: result/error or sent event
//   {"cmd":"stop","name":"c1"}
//   {"cmd":"stopTransport","name":"c1"}  stop the HttpConnection under the HubConnection,
//                         without the hub Close message (what clients before 8.0 do on
//                         stop(): a WebSocket close frame, the EventSource closed, a Long
//                         Polling DELETE): stopped event, then closed
//   {"cmd":"sendClose","name":"c1"}      send a hub Close message through the transport,
//                         the first half of stop(), and keep the transport open: sent event
//   {"cmd":"exit"}
//
// Events:
//   ready       {signalrVersion, msgpackVersion} driver started and the client library loaded
//   connected   {name, connectionId}             start() resolved
//   message     {name, target, args}             a registered client method was called
//   closed      {name, error}                    onclose; error is the message or null
//   reconnecting{name, error}, reconnected {name, connectionId}
//   result      {name, id, result}               invoke resolved
//   error       {name, id?, op, message}         a command failed (op: connect/invoke/send/stop/...)
//   sent        {name, id}                       send() resolved (the message left the client)
//   stopped     {name}                           stop() resolved
//   log         {name, level, message}           client log at Warning or above
//   item        {name, id, item}                 a stream item arrived
//   streamEnd   {name, id, error}                the stream completed (error null) or failed
//   invoked     {name, target, args}             a client result handler ran (see results)
//
// connect's "results" maps a client method to what its handler returns:
// {"value": v} returns v, {"error": "text"} throws, {"hang": true} never settles.
//
// Binary values (msgpack bin) are emitted as {"$binary":"<base64>"}; BigInts as decimal strings.
//
// HERALD_SIGNALR_CLIENT=<alias> runs another client line installed under an npm alias in
// package.json instead, with the MessagePack protocol package aliased by the same rule:
// "signalr-" in the name becomes "signalr-protocol-msgpack-" (microsoft-signalr-3.1 and
// microsoft-signalr-protocol-msgpack-3.1; aspnet-signalr-1 and
// aspnet-signalr-protocol-msgpack-1). aspnet-signalr-1 is @aspnet/signalr 1.1.4: it
// negotiates version 0, has no reconnect events and no headers option, and does not
// expose its connection id, so connectionId is read from the id query parameter of its
// transport's URL. Clients before 5.0 ignore the headers option as well.
import readline from "node:readline";

function packages(alias) {
  if (!alias) return ["@microsoft/signalr", "@microsoft/signalr-protocol-msgpack"];
  if (!/^[a-z]+-signalr-[0-9.]+$/.test(alias)) throw new Error(`unknown HERALD_SIGNALR_CLIENT ${alias}`);
  return [alias, alias.replace("signalr-", "signalr-protocol-msgpack-")];
}
const selected = packages(process.env.HERALD_SIGNALR_CLIENT);
const signalR = (await import(selected[0])).default;
const msgpack = (await import(selected[1])).default;

// @microsoft/signalr 5.0 binds a global fetch to `self`, which Node does not define, so
// on Node 18+ (global fetch) it cannot connect at all (fixed in 6.0). Without a global
// fetch it takes the Node path it was written for (node-fetch with a cookie jar).
if (/^5\./.test(signalR.VERSION ?? "") && typeof self === "undefined") delete globalThis.fetch;

const connections = new Map();
const streams = new Map();
let exiting = false;

// Keep stdout reserved for events.
console.log = console.info = console.debug = console.warn = console.error;

function replacer(_key, value) {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return { $binary: Buffer.from(value).toString("base64") };
  if (value instanceof ArrayBuffer) return { $binary: Buffer.from(value).toString("base64") };
  return value;
}

function emit(event) {
  let line;
  try {
    line = JSON.stringify(event, replacer);
  } catch (err) {
    line = JSON.stringify({ event: "error", name: event.name, op: "emit", message: String(err) });
  }
  try {
    process.stdout.write(line + "\n");
  } catch {
    // stdout is gone: the Go side stopped listening; nothing sensible left to do.
  }
}

function errorMessage(err) {
  if (err === undefined || err === null) return null;
  if (typeof err === "string") return err;
  return err.message ?? String(err);
}

function levelName(level) {
  return signalR.LogLevel[level] ?? String(level);
}

class EventLogger {
  constructor(name) {
    this.name = name;
  }
  log(level, message) {
    if (level >= signalR.LogLevel.Warning && level !== signalR.LogLevel.None) {
      emit({ event: "log", name: this.name, level: levelName(level), message: String(message) });
    }
  }
}

const transports = {
  WebSockets: signalR.HttpTransportType.WebSockets,
  ServerSentEvents: signalR.HttpTransportType.ServerSentEvents,
  LongPolling: signalR.HttpTransportType.LongPolling,
};

async function connect(cmd) {
  const name = cmd.name;
  if (connections.has(name)) throw new Error(`connection ${name} already exists`);
  const options = { headers: cmd.headers ?? {} };
  if (cmd.transport !== undefined && cmd.transport !== null) {
    if (!(cmd.transport in transports)) throw new Error(`unknown transport ${cmd.transport}`);
    options.transport = transports[cmd.transport];
  }
  if (cmd.accessToken) options.accessTokenFactory = () => cmd.accessToken;
  if (cmd.skipNegotiation) options.skipNegotiation = true;

  let builder = new signalR.HubConnectionBuilder()
    .withUrl(cmd.url, options)
    .configureLogging(new EventLogger(name));
  switch (cmd.protocol ?? "json") {
    case "json":
      break;
    case "messagepack":
      builder = builder.withHubProtocol(new msgpack.MessagePackHubProtocol());
      break;
    default:
      throw new Error(`unknown protocol ${cmd.protocol}`);
  }
  if (cmd.reconnect) builder = builder.withAutomaticReconnect();
  if (cmd.statefulReconnect) {
    if (!builder.withStatefulReconnect) throw new Error("this client has no withStatefulReconnect");
    builder = builder.withStatefulReconnect();
  }
  const connection = builder.build();
  if (cmd.keepAliveMs) connection.keepAliveIntervalInMilliseconds = cmd.keepAliveMs;

  for (const [method, spec] of Object.entries(cmd.results ?? {})) {
    connection.on(method, (...args) => {
      emit({ event: "invoked", name, target: method, args });
      if (spec.error !== undefined) throw new Error(spec.error);
      if (spec.hang) return new Promise(() => {});
      return spec.value;
    });
  }
  for (const method of cmd.methods ?? []) {
    connection.on(method, (...args) => emit({ event: "message", name, target: method, args }));
  }
  connection.onclose((err) => emit({ event: "closed", name, error: errorMessage(err) }));
  if (connection.onreconnecting) {
    connection.onreconnecting((err) => emit({ event: "reconnecting", name, error: errorMessage(err) }));
    connection.onreconnected((id) => emit({ event: "reconnected", name, connectionId: id ?? null }));
  }

  connections.set(name, connection);
  try {
    await connection.start();
  } catch (err) {
    connections.delete(name);
    throw err;
  }
  emit({ event: "connected", name, connectionId: connection.connectionId ?? transportId(connection) });
}

// transportId returns the id query parameter of the transport's URL (clients that
// do not expose HubConnection.connectionId), or null.
function transportId(connection) {
  const transport = connection.connection?.transport;
  const url = transport?.url ?? transport?.webSocket?.url;
  if (!url) return null;
  return new URL(url).searchParams.get("id");
}

function lookup(name) {
  const connection = connections.get(name);
  if (!connection) throw new Error(`unknown connection ${name}`);
  return connection;
}

async function handle(cmd) {
  switch (cmd.cmd) {
    case "connect":
      return connect(cmd);
    case "invoke": {
      const result = await lookup(cmd.name).invoke(cmd.target, ...(cmd.args ?? []));
      emit({ event: "result", name: cmd.name, id: cmd.id, result: result ?? null });
      return;
    }
    case "stream": {
      const name = cmd.name;
      const sub = lookup(name).stream(cmd.target, ...(cmd.args ?? [])).subscribe({
        next: (item) => emit({ event: "item", name, id: cmd.id, item }),
        complete: () => emit({ event: "streamEnd", name, id: cmd.id, error: null }),
        error: (err) => emit({ event: "streamEnd", name, id: cmd.id, error: errorMessage(err) }),
      });
      streams.set(name + "/" + cmd.id, sub);
      return;
    }
    case "upload": {
      const subject = new signalR.Subject();
      const connection = lookup(cmd.name);
      const call = cmd.blocking ? connection.invoke(cmd.target, subject) : connection.send(cmd.target, subject);
      for (const item of cmd.items ?? []) subject.next(item);
      subject.complete();
      const result = await call;
      if (cmd.blocking) emit({ event: "result", name: cmd.name, id: cmd.id, result: result ?? null });
      else emit({ event: "sent", name: cmd.name, id: cmd.id });
      return;
    }
    case "cancel":
      streams.get(cmd.name + "/" + cmd.id)?.dispose();
      return;
    case "send":
      await lookup(cmd.name).send(cmd.target, ...(cmd.args ?? []));
      emit({ event: "sent", name: cmd.name, id: cmd.id });
      return;
    case "stop": {
      const connection = lookup(cmd.name);
      await connection.stop();
      connections.delete(cmd.name);
      emit({ event: "stopped", name: cmd.name });
      return;
    }
    case "stopTransport": {
      await lookup(cmd.name).connection.stop();
      emit({ event: "stopped", name: cmd.name });
      return;
    }
    case "sendClose": {
      const connection = lookup(cmd.name);
      await connection.connection.send(connection._protocol.writeMessage({ type: signalR.MessageType.Close }));
      emit({ event: "sent", name: cmd.name });
      return;
    }
    case "exit":
      return shutdown(0);
    default:
      throw new Error(`unknown command ${JSON.stringify(cmd.cmd)}`);
  }
}

async function shutdown(code) {
  if (exiting) return;
  exiting = true;
  const stops = [...connections.values()].map((c) => c.stop().catch(() => {}));
  const deadline = new Promise((resolve) => setTimeout(resolve, 2000).unref());
  await Promise.race([Promise.all(stops), deadline]);
  process.exit(code);
}

function dispatch(line) {
  if (line.trim() === "") return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    emit({ event: "error", op: "parse", message: `bad command line: ${errorMessage(err)}` });
    return;
  }
  if (cmd === null || typeof cmd !== "object") {
    emit({ event: "error", op: "parse", message: "command must be a JSON object" });
    return;
  }
  Promise.resolve()
    .then(() => handle(cmd))
    .catch((err) => {
      const event = { event: "error", name: cmd.name, op: String(cmd.cmd), message: errorMessage(err) };
      if (cmd.id !== undefined) event.id = cmd.id;
      emit(event);
    });
}

process.on("uncaughtException", (err) => emit({ event: "error", op: "internal", message: errorMessage(err) }));
process.on("unhandledRejection", (err) => emit({ event: "error", op: "internal", message: errorMessage(err) }));
process.stdout.on("error", () => shutdown(0));

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on("line", dispatch);
input.on("close", () => shutdown(0));

emit({ event: "ready", signalrVersion: signalR.VERSION ?? null, msgpackVersion: msgpack.VERSION ?? null });
