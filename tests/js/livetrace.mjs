// Drives the live trace page in headless Chromium (playwright-core) for
// tests/e2e_livetrace_test.go. Environment: LIVETRACE_URL (the page with
// #token=...), ACCESS_KEY, OUT_DIR (screenshots and exports), CHROMIUM
// (default /usr/bin/chromium). Protocol: one JSON line per step on stdout;
// after {"step":"connected"} it reads one JSON line from stdin,
// {"connectionId","traceId"}, then checks the page and prints
// {"step":"result",...}.
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

const out = (v) => process.stdout.write(JSON.stringify(v) + "\n");
const env = (k) => { const v = process.env[k]; if (!v) throw new Error(k + " is not set"); return v; };
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") out({ step: "console", message: m.text() }); });
  await page.goto(env("LIVETRACE_URL"));
  await page.waitForFunction(() => document.getElementById("status").textContent === "connected", null, { timeout: 15000 });
  out({ step: "connected", hashCleared: !(await page.evaluate(() => location.hash)) });

  const want = JSON.parse((await lines.next()).value);
  const rows = page.locator("#rows tr");
  const texts = async () => rows.allInnerTexts();
  await page.waitForFunction((id) => document.getElementById("rows").innerText.includes(id), want.traceId, { timeout: 15000 });
  await page.waitForFunction((id) => [...document.querySelectorAll("#rows tr.ConnectionStarted")].some((r) => r.innerText.includes(id)), want.connectionId, { timeout: 15000 });
  const result = { step: "result", total: await rows.count() };
  await page.screenshot({ path: join(env("OUT_DIR"), "livetrace.png"), fullPage: true });
  await page.locator("#rows").screenshot({ path: join(env("OUT_DIR"), "rows.png") });

  // Filters: connection id, then event kinds, then search.
  await page.fill("#f-conn", want.connectionId);
  const byConn = await page.locator("#rows td.conn").allInnerTexts();
  result.connFilter = { rows: byConn.length, allMatch: byConn.every((c) => c.includes(want.connectionId)) };
  await page.fill("#f-conn", "");
  await page.uncheck("#k-msg"); await page.uncheck("#k-http");
  const classes = await rows.evaluateAll((trs) => trs.map((r) => r.className));
  result.kindFilter = { rows: classes.length, allConnectivity: classes.every((c) => c.startsWith("ConnectivityLogs")) };
  await page.check("#k-msg"); await page.check("#k-http");
  await page.fill("#search", want.traceId);
  const found = await texts();
  result.search = { rows: found.length, allMatch: found.every((t) => t.includes(want.traceId)) };
  await page.fill("#search", "");

  // Pause: new events are counted but not shown until resume.
  await page.click("#pause");
  const before = await rows.count();
  await page.evaluate(async () => { for (let i = 0; i < 3; i++) await fetch("/api/health?paused-probe=" + i); });
  await page.waitForFunction(() => document.getElementById("counts").textContent.includes("paused"));
  await page.waitForTimeout(300);
  result.pause = { before, during: await rows.count() };
  await page.click("#pause");
  await page.waitForFunction(() => document.getElementById("rows").innerText.includes("/api/health"), null, { timeout: 10000 });
  result.pause.after = await rows.count();

  // Exports of what the filters show.
  const save = async (button, name) => {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
    const path = join(env("OUT_DIR"), name);
    await dl.saveAs(path);
    return readFile(path, "utf8");
  };
  const json = JSON.parse(await save("#export-json", "export.json"));
  result.exportJSON = { events: json.length, hasTrace: json.some((e) => e.messageTracingId === want.traceId && e.event === "MessageDelivered") };
  const csv = (await save("#export-csv", "export.csv")).trim().split("\r\n");
  result.exportCSV = { header: csv[0], lines: csv.length, hasTrace: csv.some((l) => l.includes(want.traceId)) };

  // Signing in with the AccessKey itself (signed in the browser).
  const second = await context.newPage();
  await second.goto(env("LIVETRACE_URL").split("#")[0]);
  await second.fill("#key", env("ACCESS_KEY"));
  await second.click("#connect");
  await second.waitForFunction(() => document.getElementById("status").textContent === "connected", null, { timeout: 15000 });
  result.keySignIn = true;
  await second.click("#disconnect");
  await second.fill("#key", "not-the-access-key-0123456789");
  await second.click("#connect");
  await second.waitForFunction(() => document.getElementById("status").textContent !== "connected", null, { timeout: 15000 });
  await second.waitForTimeout(500);
  result.wrongKeyStatus = await second.locator("#status").innerText();
  out(result);
} catch (err) {
  out({ step: "error", message: String(err && err.stack || err) });
  process.exitCode = 1;
} finally {
  await browser.close();
}
