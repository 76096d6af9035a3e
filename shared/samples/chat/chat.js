// Herald sample chat: the official @microsoft/signalr browser client against
// Herald (or Azure SignalR Service in Serverless mode), with the reconnect
// practice of the Azure SignalR guidance: withAutomaticReconnect for short
// outages and, once it gives up (onclose), a fresh start after a random delay
// so that many clients do not all return at the same moment.
//
// Query parameters (all optional):
//   api          base URL of the app's negotiate endpoint (default: this page's origin);
//                the client calls <api>/api/negotiate?hub=<hub>
//   hub          hub name (default chat)
//   user         user id sent as x-ms-signalr-userid (default a random guest id)
//   signalr      URL of the client bundle (default signalr.js beside this page, then
//                the pinned copy on jsDelivr)
//   delays       comma-separated automatic-reconnect delays in ms (default 0,2000,10000,30000)
//   restartMin, restartMax  bounds of the random restart delay in ms (default 1000, 5000)
"use strict";

(function () {
  const CDN = "https://cdn.jsdelivr.net/npm/@microsoft/signalr@10.0.11/dist/browser/signalr.min.js";
  const params = new URLSearchParams(location.search);
  const api = (params.get("api") || location.origin).replace(/\/+$/, "");
  const hub = params.get("hub") || "chat";
  const user = params.get("user") || "guest-" + Math.random().toString(36).slice(2, 8);
  const delays = numbers(params.get("delays"));
  const restartMin = Number(params.get("restartMin") || 1000);
  const restartMax = Math.max(restartMin, Number(params.get("restartMax") || 5000));

  const $ = (id) => document.getElementById(id);
  $("api").textContent = api;
  $("hub").textContent = hub;
  $("user").textContent = user;

  function numbers(s) {
    if (!s) return undefined;
    return s.split(",").map((x) => Number(x.trim())).filter((x) => Number.isFinite(x) && x >= 0);
  }

  function log(text, cls) {
    const li = document.createElement("li");
    li.className = cls || "";
    li.textContent = text;
    $("log").appendChild(li);
  }

  function setState(state, detail) {
    $("state").textContent = state;
    $("state").dataset.state = state;
    $("detail").textContent = detail || "";
    log(state + (detail ? " (" + detail + ")" : ""), "status");
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = () => resolve(src);
      s.onerror = () => reject(new Error("could not load " + src));
      document.head.appendChild(s);
    });
  }

  async function loadClient() {
    const sources = params.get("signalr") ? [params.get("signalr")] : ["signalr.js", CDN];
    for (const src of sources) {
      try {
        await loadScript(src);
        if (window.signalR) return src;
      } catch (err) {
        log(err.message, "status");
      }
    }
    throw new Error("the @microsoft/signalr browser bundle could not be loaded: run `make js-deps` in the Herald checkout (it installs tests/js/node_modules) and restart the emulator, or open this page with ?signalr=<URL of signalr.min.js>");
  }

  function showMessage(msg) {
    // The sample chat hub sends {connectionId, sender, text}; a REST send may
    // pass any value.
    if (msg && typeof msg === "object" && "text" in msg) {
      log((msg.sender || msg.connectionId || "someone") + ": " + msg.text, "message");
    } else {
      log(typeof msg === "string" ? msg : JSON.stringify(msg), "message");
    }
  }

  function build() {
    const builder = new signalR.HubConnectionBuilder()
      .withUrl(api + "/api?hub=" + encodeURIComponent(hub), { headers: { "x-ms-signalr-userid": user } })
      .configureLogging(signalR.LogLevel.Warning);
    const connection = (delays ? builder.withAutomaticReconnect(delays) : builder.withAutomaticReconnect()).build();
    connection.on("newMessage", showMessage);
    connection.onreconnecting((err) => setState("reconnecting", err ? err.message : ""));
    connection.onreconnected((id) => setState("connected", "reconnected as " + id));
    // Automatic reconnect gave up (or the first start failed later on):
    // start again after a random delay.
    connection.onclose((err) => {
      setState("disconnected", err ? err.message : "");
      restartLater();
    });
    return connection;
  }

  let connection;

  function restartLater() {
    const delay = Math.round(restartMin + Math.random() * (restartMax - restartMin));
    setState("restarting", "in " + delay + " ms");
    setTimeout(start, delay);
  }

  async function start() {
    try {
      await connection.start();
      setState("connected", "connection id " + connection.connectionId);
    } catch (err) {
      log("start failed: " + err.message, "error");
      restartLater();
    }
  }

  $("compose").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    try {
      await connection.invoke("broadcast", text);
      $("text").value = "";
    } catch (err) {
      log("send failed: " + err.message, "error");
    }
  });

  loadClient().then((src) => {
    $("lib").textContent = src;
    connection = build();
    setState("connecting");
    return start();
  }).catch((err) => {
    $("lib").textContent = "none";
    setState("disconnected", err.message);
  });
})();
