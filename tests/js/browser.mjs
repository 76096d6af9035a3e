// Browser driver for Go tests: runs headless Chromium through playwright-core
// and executes one command per stdin line, answering one JSON line per command
// on stdout. Asynchronous page output (console, page errors, failed requests)
// is reported as event lines. Used by tests/internal/browser.
//
// Commands: {"id":N,"op":"open","url":U}
//           {"id":N,"op":"waitText","selector":S,"text":T,"timeout":MS}
//           {"id":N,"op":"fill","selector":S,"value":V}
//           {"id":N,"op":"click","selector":S}
//           {"id":N,"op":"texts","selector":S}   -> value: text of every match
//           {"id":N,"op":"eval","expr":E}        -> value: result of a page expression (awaited)
//           {"id":N,"op":"waitFor","expr":E,"timeout":MS}  until the page expression is truthy
//           {"id":N,"op":"check","selector":S,"checked":B}
//           {"id":N,"op":"screenshot","path":P,"selector":S}  the element, or the full page without S
//           {"id":N,"op":"download","selector":S,"path":P}  clicks S and saves the download at P
//           {"id":N,"op":"newPage"}              later commands go to a new page of the same browser
// Replies:  {"id":N,"ok":true,"value":...} or {"id":N,"ok":false,"error":"..."}
// Events:   {"event":"ready"} once, then {"event":"console"|"pageerror"|"requestfailed","text":...}
// The browser closes when stdin ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium } from 'playwright-core';

const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const executablePath = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'herald-chromium-'));

const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1400, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const watch = (p) => {
  p.on('console', (m) => emit({ event: 'console', text: `${m.type()}: ${m.text()}` }));
  p.on('pageerror', (e) => emit({ event: 'pageerror', text: String(e) }));
  p.on('requestfailed', (r) => emit({ event: 'requestfailed', text: `${r.method()} ${r.url()}: ${r.failure()?.errorText}` }));
  return p;
};
let page = watch(context.pages()[0] ?? await context.newPage());

const ops = {
  open: (c) => page.goto(c.url).then((r) => r?.status()),
  waitText: (c) => page.waitForFunction(([sel, text]) =>
    [...document.querySelectorAll(sel)].some((e) => e.textContent.includes(text)),
  [c.selector, c.text], { timeout: c.timeout, polling: 100 }).then(() => null),
  fill: (c) => page.fill(c.selector, c.value).then(() => null),
  click: (c) => page.click(c.selector).then(() => null),
  texts: (c) => page.$$eval(c.selector, (els) => els.map((e) => e.textContent)),
  eval: (c) => page.evaluate(c.expr),
  // Polled from here with evaluate, not waitForFunction: a string predicate
  // polled inside the page needs eval, which the live trace page's
  // Content-Security-Policy refuses after the first look.
  waitFor: async (c) => {
    const deadline = Date.now() + c.timeout;
    for (;;) {
      if (await page.evaluate(c.expr)) return null;
      if (Date.now() > deadline) throw new Error(`timed out after ${c.timeout} ms waiting for ${c.expr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  },
  check: (c) => page.setChecked(c.selector, c.checked).then(() => null),
  screenshot: (c) => (c.selector ? page.locator(c.selector).screenshot({ path: c.path })
    : page.screenshot({ path: c.path, fullPage: true })).then(() => null),
  download: (c) => Promise.all([page.waitForEvent('download'), page.click(c.selector)])
    .then(([d]) => d.saveAs(c.path)).then(() => null),
  newPage: async () => { page = watch(await context.newPage()); return null; },
};

let closing;
async function close() {
  closing ??= (async () => {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  })();
  return closing;
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let c;
  try {
    c = JSON.parse(line);
    const op = ops[c.op];
    if (!op) throw new Error(`unknown op ${c.op}`);
    emit({ id: c.id, ok: true, value: (await op(c)) ?? null });
  } catch (err) {
    emit({ id: c?.id ?? 0, ok: false, error: String(err?.message ?? err) });
  }
});
rl.on('close', async () => {
  await close();
  process.exit(0);
});
emit({ event: 'ready' });
